"""The session over a project's units: validate, plan, apply and show with no PATH.

Load the project (cmqinfra/project/), pick its units (--stack, --env, --changed-since, --target
STACK[ENV]:ADDRESS), resolve them while their reads start, plan them together
(cmqinfra/project/runner.py), render one view of all of them, save one plan file
(cmqinfra/run/saved.py), ask once, apply with the one apply loop (cmqinfra/run/applying.py) and
report one exit code (0 success, 2 changes anywhere with ``--detailed-exitcode``, 1 any
failure). The commands (cmqinfra/commands/) only wire flags to these functions.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.project.units import Project, ProjectError, StackUnit, load_project
from cmqinfra.render import escape
from cmqinfra.run import session
from cmqinfra.run.saved import PlanFile
from cmqinfra.selection import Selection


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _unit_targets(selection: Selection, units: Sequence[StackUnit],
                  targets: Sequence[str]) -> tuple[tuple[StackUnit, ...], dict[str, tuple[str, ...]]]:
    """The units --target names and each one's addresses (all units and none without --target)."""
    from cmqinfra.project.targets import parse_project_target, targets_by_unit

    if not targets:
        return tuple(units), {}
    if selection.stacks or selection.environments or selection.changed_since:
        raise session.Failure("--target names the stacks to plan: it cannot be combined with --stack, --env "
                              "or --changed-since")
    try:
        by_unit = targets_by_unit(units, [parse_project_target(t) for t in targets])
    except ProjectError as exc:
        raise session.Failure(str(exc)) from None
    return tuple(u for u in units if u.key in by_unit), by_unit


def refuse_bare_targets(targets: Sequence[str]) -> None:
    """Without manifest PATHs a target must name its stack: checked before the project is read."""
    from cmqinfra.project.targets import is_project_target

    bare = [t for t in targets if not is_project_target(t)]
    if bare:
        raise session.Failure(f"--target {bare[0]}: without manifest PATH..., name the stack too, as "
                              f"STACK[ENV]:{bare[0]} (project mode), or give the stack's manifest PATH...")


# ------------------------------------------------------------ shared steps


def load_selection(selection: Selection) -> tuple[Project, tuple[StackUnit, ...]]:
    project = load_project(Path(selection.root))
    if not project.ok and all(d.location is None for d in project.diagnostics):
        raise session.Failure("; ".join(d.render().removeprefix("error: ") for d in project.diagnostics))
    for d in project.diagnostics:
        click.echo(d.render(), err=True)
    if not project.ok:
        raise session.ManifestErrors(f"{len(project.diagnostics)} error(s) in the project",
                                     project.diagnostics)
    try:
        return project, project.units(selection.stacks, selection.environments)
    except ProjectError as exc:
        raise session.Failure(str(exc)) from None


def resolve_units(project: Project, units: Sequence[StackUnit]) -> list[ResolvedUnit]:
    from cmqinfra.project.resolve import resolve_all

    return resolve_all(project, units)


def _resolve_and_read(project: Project, units: Sequence[StackUnit], selection: Selection,
                      options: session.TargetOptions, connections: Any,
                      partial: bool = False,
                      notes: list[str] | None = None) -> tuple[list[ResolvedUnit], Any]:
    """The selected units resolved and, unless --changed-since picks among them afterwards (which
    would waste the reads of the others) or --target reads only what its addresses need, each
    unit's read started before the resolve."""
    from cmqinfra.project.early import resolve_while_reading

    if partial:
        return resolve_units(project, units), None
    if selection.changed_since is not None:
        return select_changed(project, resolve_units(project, units), selection.changed_since, notes), None
    return resolve_while_reading(project, units, options, connections, resolve_units)


def _whole(selection: Selection, by_unit: Any) -> bool:
    """Every unit of the project is in the run (no --stack, --env, --changed-since, --target)."""
    return not (selection.stacks or selection.environments or selection.changed_since or by_unit)


def _others(project: Project, resolved: Sequence[ResolvedUnit]) -> list[ResolvedUnit]:
    """The units of the selected environments that this run does not plan, resolved (failed too)."""
    planned = {r.unit.key for r in resolved}
    environments = {r.unit.environment for r in resolved}
    rest = [u for u in project.all_units if u.key not in planned and u.environment in environments]
    return resolve_units(project, rest) if rest else []


def cross_checked(project: Project, resolved: list[ResolvedUnit],
                   others: Sequence[ResolvedUnit] | None = None) -> list[ResolvedUnit]:
    """The refactoring entries that name other units checked against them (project/crossunit.py)."""
    from cmqinfra.project.crossunit import check_units

    return check_units(resolved, _others(project, resolved) if others is None else others)


def _code(text: str) -> str:
    """A name from the repository as inline code in the comment (the one escaping layer)."""
    return escape.code(text)


def _renamed_to(resolved: Sequence[ResolvedUnit], name: str) -> str | None:
    """The stack (by its project name) that declares ``renamedFrom`` the removed stack ``name``."""
    for r in resolved:
        s = r.stack
        if s is None or s.renamed_from is None:
            continue
        bare = s.renamed_from.removeprefix(r.unit.name_prefix)
        bare = bare.removesuffix(r.unit.name_suffix) if r.unit.name_suffix else bare
        if name in (bare, s.renamed_from):
            return r.unit.stack_name
    return None


def select_changed(project: Project, resolved: list[ResolvedUnit], ref: str | None,
                    notes: list[str] | None = None) -> list[ResolvedUnit]:
    """The units a change since ``ref`` affects. A stack removed from cmqinfra.yaml since then is
    said, on stderr and (``notes``, markdown) in the comment: renamed (another stack takes what it
    owned with renamedFrom), or no longer managed, with what to do about it."""
    if ref is None:
        return resolved
    from cmqinfra.project.changes import affected, read_change, removed_stacks

    change = read_change(project.root, ref)
    for old_name in removed_stacks(project, change):
        heir = _renamed_to(resolved, old_name)
        # the name comes from the base's cmqinfra.yaml, never validated: shown in plain characters only
        name = re.sub(r"[^A-Za-z0-9._-]", "?", old_name)[:64]
        if heir is not None:
            click.echo(f"note: stack {name!r} was removed from cmqinfra.yaml since {ref}: stack {heir!r} "
                       "takes what it owned (renamedFrom); its plan shows them", err=True)
            if notes is not None:
                notes.append(f"Stack {_code(name)} was renamed to {_code(heir)} (`renamedFrom`): "
                             f"{_code(heir)}'s plan takes what it owned.")
            continue
        todo = (f"To delete it, put the stack back and run `cmqinfra destroy --stack {name}` first; to keep "
                f"it under another stack, give that stack `renamedFrom: {name}` (or `moved` entries)")
        click.echo(f"warning: stack {name!r} was removed from cmqinfra.yaml since {ref}: what it owns is no "
                   f"longer managed and is left as it is. {todo}", err=True)
        if notes is not None:
            notes.append(f"> [!WARNING]\n> Stack {_code(name)} was removed from `cmqinfra.yaml`: what it "
                         f"owns is no longer managed and is left as it is. {todo}.")
    chosen = affected(project, resolved, change)
    click.echo(f"{len(chosen)} of {len(resolved)} stack(s) affected by the changes since {ref}"
               + (f": {', '.join(r.unit.key for r in chosen)}" if chosen else ""), err=True)
    return chosen


def _orphans(items: Sequence[Any], apis: dict[str, Any], connections: Any,
             others: Sequence[ResolvedUnit]) -> list[str]:
    """What the project's ownership tags give to stacks no unit is any more (project/orphans.py),
    on each account and region the run read whole: a listing only where the counts say so."""
    from cmqinfra.cloud.errors import CloudError
    from cmqinfra.project.orphans import find, notes

    if any(i.plan is None or i.owned is None or i.target is None for i in items):
        return []  # a unit not read whole: its resources are not all known
    groups: dict[tuple[object, ...], list[Any]] = {}
    for item in items:
        groups.setdefault(connections.count_key(item.unit, item.target), []).append(item)
    known = {n for r in others if r.stack is not None for n in (r.stack.name, r.stack.renamed_from) if n}
    known |= {n for i in items for n in (i.plan.stack.name, i.plan.stack.renamed_from) if n}
    found = []
    for key, group in groups.items():
        counts = connections.counts(key)
        tagged = getattr(counts, "tagged", lambda: None)()
        if tagged is None or tagged <= sum(i.owned for i in group):
            continue  # every owned resource there belongs to a unit that was read
        first = group[0]
        try:
            listed = apis[first.unit.key].owners()
        except CloudError:
            continue
        found += find(listed, known, f"{first.target.describe()}, region {first.region}")
    return notes(found)


def print_diagnostics(resolved: Sequence[ResolvedUnit]) -> None:
    seen: set[str] = set()
    for item in resolved:
        for d in item.diagnostics:
            line = d.render()
            if line not in seen:  # a base manifest's problem is the same in every environment
                seen.add(line)
                click.echo(line, err=True)


@contextmanager
def open_connections(options: session.TargetOptions, root: str) -> Iterator[Any]:
    from cmqinfra.project.connections import Connections

    connections = Connections(options, Path(root))
    try:
        yield connections
    finally:
        if options.debug:
            counts = connections.call_counts()
            click.echo("API calls per action (all stacks):", err=True)
            for action, n in sorted(counts.items()):
                click.echo(f"  {action}: {n}", err=True)
            click.echo(f"  total: {sum(counts.values())}", err=True)
        connections.close()


def _show_unit(item: Any, brief: bool = False) -> None:
    from cmqinfra.render import use_colour
    from cmqinfra.render.text import render_brief, render_text

    where = f"region {item.region}" if item.region else "no region"
    target = f", {item.target.describe()}" if item.target else ""
    click.echo(escape.terminal(f"=== {item.unit.key} ({where}{target})"))
    if item.plan is not None and item.error is None:
        render = render_brief if brief else render_text
        click.echo(render(item.plan, colour=use_colour(sys.stdout)), nl=False)
        for d in item.plan.errors:
            click.echo(d.render(), err=True)
    else:
        click.echo(escape.terminal(f"error: {item.unit.key}: {item.error}"), err=True)
    click.echo("")


def _show_all(items: Sequence[Any], fmt: str, note: str | None = None, verbose: bool = True,
              warnings: Sequence[str] = (), root: str | None = None, full_plan: str | None = None,
              resource_types: str = "cmqinfra") -> None:
    """``verbose=False`` (before an approval or a saved plan's apply): a run of more changes than
    a single stack's long plan shows each unit's summary and destructive changes, as a single
    stack's apply does; the whole plan with --verbose or `show`."""
    from cmqinfra.project.report import project_json, render_project_markdown, render_table, run_summary

    if fmt == "json":
        doc = project_json(items)
        if warnings:
            doc["warnings"] = list(warnings)
        if resource_types == "terraform":
            from cmqinfra.render.terraform_types import terraform_project_json

            doc = terraform_project_json(doc)
        click.echo(json.dumps(doc, indent=2))
    elif fmt == "markdown":
        from cmqinfra.project.report import provenance_of, write_full_plan

        # the orphans stand in the comment's CAUTION block; the commit and time only for a plan
        # made now (a saved plan's `show` does not know them)
        made = provenance_of(root) if root is not None else None
        if full_plan:
            write_full_plan(full_plan, render_project_markdown(items, note=note, provenance=made, limit=None,
                                                               project_orphans=warnings))
        click.echo(render_project_markdown(items, note=note, provenance=made, full_plan=full_plan,
                                           project_orphans=warnings), nl=False)
    else:
        changes = sum(1 for i in items if i.plan is not None for c in i.plan.changes if c.is_change)
        brief = not verbose and changes > session.LONG_PLAN
        for item in items:
            _show_unit(item, brief)
        for warning in warnings:
            click.echo(f"Warning: {warning}\n")
        click.echo(f"Project: {run_summary(items)}.")
        click.echo(render_table(items), nl=False)


# ------------------------------------------------------------ validate


def validate(selection: Selection, fmt: str, stacks_of: Sequence[str] = ()) -> None:
    from cmqinfra.project import policies
    from cmqinfra.render.diagnostics import FORMAT_VERSION, diagnostics_markdown, diagnostics_to_json
    from cmqinfra.render.policy import policy_lines

    project, units = load_selection(selection)
    if stacks_of:
        units = _units_of_files(project, units, stacks_of)
    resolved = select_changed(project, resolve_units(project, units), selection.changed_since)
    resolved = cross_checked(project, resolved)
    resolved = [policies.checked(r) for r in resolved]  # the rules the manifests alone decide
    failed = [r for r in resolved if not r.ok]

    def summary(r: ResolvedUnit, key: Callable[[ResolvedUnit], str] = lambda r: r.unit.key) -> str:
        s = r.stack
        assert s is not None
        return (f"{key(r)}: {plural(len(s.queues), 'queue')}, {plural(len(s.topics), 'topic')}, "
                f"{plural(len(s.subscriptions), 'subscription')}")

    def errors(r: ResolvedUnit) -> int:
        return sum(1 for d in r.diagnostics if d.severity.value == "error")

    if fmt == "json":
        doc = {"format_version": FORMAT_VERSION, "valid": not failed,
               "units": [diagnostics_to_json(r.diagnostics, stack=r.unit.stack_name,
                                             environment=r.unit.environment) for r in resolved]}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        mark = ":x:" if failed else ":white_check_mark:"
        lines = [f"### {mark} cmqinfra validate: {len(resolved) - len(failed)} of {len(resolved)} "
                 "stack(s) valid", ""]
        lines += policy_lines([(r.unit.key, r.diagnostics) for r in resolved])
        for r in resolved:
            lines.append(f"- {summary(r, lambda r: escape.code(r.unit.key))}" if r.ok
                         else f"- **{escape.code(r.unit.key)}: {plural(errors(r), 'error')}**")
            lines += ["  " + line for line in diagnostics_markdown(r.diagnostics)]
        click.echo("\n".join(lines) + "\n", nl=False)
    else:
        print_diagnostics(resolved)
        for r in resolved:
            if r.ok:
                click.echo(escape.terminal(f"ok: {summary(r)}"))
            else:
                click.echo(escape.terminal(f"failed: {r.unit.key}: {plural(errors(r), 'error')}"), err=True)
    if failed:
        raise click.exceptions.Exit(1)


def _units_of_files(
    project: Project, units: Sequence[StackUnit], files: Sequence[str]
) -> tuple[StackUnit, ...]:
    """The units the given files belong to (all of them when the project file is among them)."""
    from cmqinfra.project.config import PROJECT_FILE

    given = [Path(f).resolve() for f in files]
    if (project.root / PROJECT_FILE).resolve() in given:
        return tuple(units)

    def holds(unit: StackUnit, file: Path) -> bool:
        paths = [p.resolve() for p in (*unit.paths, *unit.value_files)]
        return any(file == p or p in file.parents for p in paths)

    return tuple(u for u in units if any(holds(u, f) for f in given))


# ------------------------------------------------------------ plan


def _mark_drift(items: Sequence[Any], selection: Selection, baseline: str | None) -> list[Any]:
    """Each unit's changes that set back edits made outside cmqinfra, marked (see plan/drift.py)."""
    from cmqinfra.plan.drift import mark_drift
    from cmqinfra.project.baseline import baseline_commit, project_baseline

    ref = baseline or selection.changed_since
    if ref is None:
        return list(items)
    root = Path(selection.root)
    commit = baseline_commit(root, ref, merge_base=baseline is None)
    stacks = project_baseline(root, commit, [i.unit.key for i in items if i.plan is not None])
    return [i if i.plan is None else dataclasses.replace(i, plan=mark_drift(i.plan, stacks.get(i.unit.key)))
            for i in items]


def plan(selection: Selection, options: session.TargetOptions, out: str | None, fmt: str,
         detailed_exitcode: bool, destroy: bool, allow_data_loss: bool = False,
         targets: Sequence[str] = (), resource_types: str = "cmqinfra", baseline: str | None = None,
         full_plan: str | None = None) -> None:
    from cmqinfra.project.planfile import save_project_plan
    from cmqinfra.project.runner import plan_project

    exit_code = 0
    # Errors before any plan is shown are rendered in --format too: a comment is never empty.
    with session.user_errors(False, [], fmt, command="plan"):
        refuse_bare_targets(targets)
        project, units = load_selection(selection)
        units, by_unit = _unit_targets(selection, units, targets)
        notes: list[str] = []
        with open_connections(options, selection.root) as connections:
            resolved, early = _resolve_and_read(project, units, selection, options, connections,
                                                partial=bool(by_unit), notes=notes)
            others = _others(project, resolved)
            resolved = cross_checked(project, resolved, others)
            print_diagnostics(resolved)
            items, apis = plan_project(resolved, options, connections, destroy=destroy,
                                       allow_data_loss=allow_data_loss,
                                       bystanders=[o for o in others if o.stack is not None], early=early,
                                       unit_targets=by_unit)
            items = _mark_drift(items, selection, baseline)
            accounts = _caller_accounts(items, apis) if out and all(i.ok for i in items) else {}
            whole = _whole(selection, by_unit)
            warnings = _orphans(items, apis, connections, others) if whole else []
        heading = ([f"Stacks affected by the changes since {_code(selection.changed_since)}."]
                   if selection.changed_since else [])
        # in markdown the orphans stand in CAUTION (render_project_markdown), elsewhere in the note
        shown = [] if fmt == "markdown" else [f"> [!WARNING]\n> {w}" for w in warnings]
        note = "\n\n".join(heading + notes + shown) or None
        _show_all(items, fmt, note, warnings=warnings, root=selection.root, full_plan=full_plan,
                  resource_types=resource_types)
        failed = [i for i in items if not i.ok]
        if failed:
            raise session.Refused(f"{len(failed)} stack(s) failed or were refused: "
                                  f"{', '.join(i.unit.key for i in failed)}; nothing can be applied")
        if out:
            save_project_plan(items, out, accounts)
            session.announce_digest(out, fmt)
            click.echo(f"Saved the plan of {len(items)} stack(s) to {out}; run `cmqinfra apply --plan {out}` "
                       "to apply it.", err=True)
        if detailed_exitcode and any(i.plan is not None and i.plan.has_changes for i in items):
            exit_code = 2
    if exit_code:
        raise click.exceptions.Exit(exit_code)


# ------------------------------------------------------------ apply


def apply(selection: Selection, options: session.TargetOptions, plan_file: str | None,
          auto_approve: bool, allow_data_loss: bool, targets: Sequence[str] = (),
          saved: PlanFile | None = None, verbose: bool = True, destroy: bool = False,
          expect_digest: str | None = None) -> None:
    """Plan the selected units (or take a saved plan file), show, ask once, apply every unit with
    changes. ``destroy``: plan the deletion of everything the selected units own (``destroy``
    with no PATH), under the same safety rules and approval."""
    from cmqinfra.project.runner import plan_project

    with session.user_errors(False, []):
        if expect_digest and not plan_file:
            raise session.Failure("--expect-digest goes with --plan FILE")
        if plan_file and (selection.stacks or selection.environments or selection.changed_since):
            raise session.Failure("a saved plan applies exactly the stacks it holds: --stack, --env and "
                                  "--changed-since select stacks to plan, not to apply from --plan")
        warnings: list[str] = []
        with open_connections(options, selection.root) as connections:
            if plan_file:
                if targets:
                    raise session.Failure("--target cannot change a saved plan's targets; plan again instead")
                assert saved is not None
                items, apis = _replan_saved(plan_file, saved, options, connections, selection)
            else:
                refuse_bare_targets(targets)
                project, units = load_selection(selection)
                units, by_unit = _unit_targets(selection, units, targets)
                resolved, early = _resolve_and_read(project, units, selection, options, connections,
                                                    partial=bool(by_unit))
                others = _others(project, resolved)
                resolved = cross_checked(project, resolved, others)
                print_diagnostics(resolved)
                items, apis = plan_project(resolved, options, connections, allow_data_loss=allow_data_loss,
                                           destroy=destroy,
                                           bystanders=[o for o in others if o.stack is not None],
                                           early=early, unit_targets=by_unit)
                if _whole(selection, by_unit) and not destroy:
                    warnings = _orphans(items, apis, connections, others)
            _show_all(items, "text", verbose=verbose, warnings=warnings)
            failed = [i for i in items if not i.ok]
            if failed:
                raise session.Failure(f"{len(failed)} stack(s) failed or were refused: "
                                      f"{', '.join(i.unit.key for i in failed)}; nothing was changed")
            changing = [i for i in items if i.plan is not None and i.plan.has_changes]
            if not changing:
                return
            # Like Terraform, a saved plan was reviewed when it was made: it needs no second approval.
            what = "destroy these resources in" if destroy else "apply these changes to"
            session.confirm(auto_approve or plan_file is not None, f"{what} {len(changing)} stack(s)")
            if not (auto_approve or plan_file):  # live state read again after the 'yes'
                for item in changing:
                    session.check_unchanged(item.plan, apis[item.unit.key], item.unit.key)
            _apply(items, apis, options)


def _caller_accounts(items: Sequence[Any], apis: dict[str, Any]) -> dict[str, str | None]:
    """The account each unit's credentials belong to (STS), to bind a saved plan to."""
    from cmqinfra.project.runner import concurrently

    keys = [i.unit.key for i in items]
    return dict(zip(keys, concurrently(lambda key: apis[key].caller_account(), keys), strict=True))


def _replan_saved(plan_file: str, saved_file: PlanFile, options: session.TargetOptions,
                  connections: Any, selection: Selection) -> tuple[list[Any], dict[str, Any]]:
    from cmqinfra.plan.values import Plan
    from cmqinfra.project.planfile import project_units
    from cmqinfra.project.resolve import ResolvedUnit
    from cmqinfra.project.runner import plan_project
    from cmqinfra.project.trusted import bind_to_configuration

    try:
        recorded = project_units(saved_file)
    except session.Failure as exc:
        raise session.Failure(f"{plan_file}: {exc}") from None
    # Where each stack goes comes from this run's configuration, never from the file.
    saved = bind_to_configuration(recorded, load_selection(selection)[1], options, plan_file)
    given = [flag for flag, value in (("--endpoint", options.endpoint), ("--local", options.local),
                                      ("--region", options.region)) if value]
    if given:
        click.echo(f"note: {', '.join(given)} ignored: a saved project plan applies each stack to the target "
                   "and region it was planned against", err=True)
    resolved = [ResolvedUnit(s.unit, s.saved.stack, (), (), (), frozenset()) for s in saved]
    bound = dataclasses.replace(options, endpoint=None, local=False, region=None)
    items, apis = plan_project(
        resolved, bound, connections, destroy=bool(saved) and all(s.saved.destroy for s in saved),
        desired=[s.saved.stack for s in saved], targets=[s.target for s in saved],
        approved=[frozenset(s.saved.approved_data_loss) for s in saved],
        unit_targets={s.unit.key: s.saved.targets for s in saved if s.saved.targets},
    )
    stale: list[str] = []
    edited: list[str] = []
    for s, item in zip(saved, items, strict=True):
        if item.plan is None or item.error is not None:
            continue
        fresh: Plan = item.plan
        try:
            session.check_not_stale(s.saved, fresh, plan_file)
        except session.EditedPlan:  # not stale: what would run differs from what the file shows
            edited.append(item.unit.key)
        except session.Failure:
            stale.append(item.unit.key)
    failed = [i.unit.key for i in items if i.plan is None or i.error is not None]
    if not failed:
        now = _caller_accounts(items, apis)
        moved = [f"{s.unit.key} (planned against account {s.caller_account or 'unknown'}, these credentials "
                 f"belong to account {now[s.unit.key] or 'unknown'})"
                 for s in saved if s.caller_account != now[s.unit.key]]
        if moved:
            raise session.Failure(f"{plan_file}: {'; '.join(moved)}; nothing was changed")
    if failed:
        for item in items:
            if item.error is not None:
                click.echo(escape.terminal(f"error: {item.unit.key}: {item.error}"), err=True)
        raise session.Failure(f"{plan_file}: {len(failed)} stack(s) could not be planned again: "
                              f"{', '.join(failed)}; nothing was changed")
    if edited:
        raise session.Failure(f"{plan_file}: the saved plan's recorded changes are not what its desired "
                              f"state plans to for {', '.join(edited)} (the file was edited); nothing was "
                              "changed (run plan again)")
    if stale:
        raise session.Failure(f"{plan_file}: the saved plan is stale for {', '.join(stale)}: live state "
                              "changed since it was made; nothing was changed (run plan again)")
    return items, apis


def _apply(items: Sequence[Any], apis: dict[str, Any], options: session.TargetOptions) -> None:
    """The one apply loop (cmqinfra/run/applying.py) over every unit with changes."""
    from cmqinfra.run.applying import UnitRun, apply_all, report_run

    def echo(line: str, is_error: bool) -> None:
        click.echo(line, err=is_error)

    runs = [UnitRun(i.unit.key, i.plan, apis[i.unit.key]) for i in items
            if i.plan is not None and i.plan.has_changes]
    done = apply_all(runs, options.parallelism, echo)
    report_run(done, echo, destroy=all(r.plan.destroy for r in runs))
    if not done.ok:
        raise session.Failure(f"{sum(1 for o in done.outcomes if not o.ok)} of {len(done.outcomes)} stack(s) "
                              "did not apply completely")


# ------------------------------------------------------------ show


def show_saved(plan_file: str, saved_file: PlanFile, fmt: str, resource_types: str = "cmqinfra") -> None:
    """A project's plan file rendered offline, as `plan` rendered it (every unit, the table)."""
    from cmqinfra.project.planfile import project_units
    from cmqinfra.project.runner import UnitPlan

    try:
        saved = project_units(saved_file)
    except session.Failure as exc:
        raise session.Failure(f"{plan_file}: {exc}") from None
    items = [UnitPlan(s.unit, s.saved.region, s.target, plan=s.saved.plan) for s in saved]
    _show_all(items, fmt, resource_types=resource_types)
    if fmt == "text":
        click.echo("")
        for s in saved:
            assert s.saved.target is not None
            approved = ", ".join(s.saved.approved_data_loss) or "none"
            click.echo(f"{s.unit.key}: planned against {s.saved.target.describe()}; data loss approved for: "
                       f"{approved}.")
