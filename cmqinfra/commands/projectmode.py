"""validate / plan / apply with no PATH: the project in the current directory (or ``--project``).

Wiring only: flags to the project layer (cmqinfra/project/) and its results to output and one
exit code (0 success, 2 changes anywhere with ``--detailed-exitcode``, 1 any failure).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from cmqinfra.commands.selection import (  # noqa: F401 - their home is selection.py
    Selection,
    check_targets,
    project_options,
    refuse_with_paths,
    stack_targets,
)
from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.project.units import Project, ProjectError, StackUnit, load_project
from cmqinfra.render import escape
from cmqinfra.run import session

# Selection and project_options live in commands/selection.py (light to import); kept importable here.


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


def _load(selection: Selection) -> tuple[Project, tuple[StackUnit, ...]]:
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


def _resolve(project: Project, units: Sequence[StackUnit]) -> list[ResolvedUnit]:
    from cmqinfra.project.resolve import resolve_all

    return resolve_all(project, units)


def _resolve_and_read(project: Project, units: Sequence[StackUnit], selection: Selection,
                      options: session.TargetOptions, connections: Any,
                      partial: bool = False) -> tuple[list[ResolvedUnit], Any]:
    """The selected units resolved and, unless --changed-since picks among them afterwards (which
    would waste the reads of the others) or --target reads only what its addresses need, each
    unit's read started before the resolve."""
    from cmqinfra.project.early import resolve_while_reading

    if partial:
        return _resolve(project, units), None
    if selection.changed_since is not None:
        return _select_changed(project, _resolve(project, units), selection.changed_since), None
    return resolve_while_reading(project, units, options, connections, _resolve)


def _bystanders(project: Project, resolved: Sequence[ResolvedUnit]) -> list[ResolvedUnit]:
    """The units of the selected environments that this run does not plan: a stack planned alone
    must still know what they take from it with ``moved`` (it never deletes those)."""
    planned = {r.unit.key for r in resolved}
    environments = {r.unit.environment for r in resolved}
    rest = [u for u in project.all_units if u.key not in planned and u.environment in environments]
    return [r for r in _resolve(project, rest) if r.stack is not None] if rest else []


def _select_changed(project: Project, resolved: list[ResolvedUnit], ref: str | None) -> list[ResolvedUnit]:
    if ref is None:
        return resolved
    from cmqinfra.project.changes import affected, read_change, removed_stacks

    change = read_change(project.root, ref)
    for name in removed_stacks(project, change):
        click.echo(f"warning: stack {name!r} was removed from cmqinfra.yaml since {ref}; nothing plans it "
                   "now, so its resources are left as they are (plan its old path with --destroy to delete "
                   "them)", err=True)
    chosen = affected(project, resolved, change)
    click.echo(f"{len(chosen)} of {len(resolved)} stack(s) affected by the changes since {ref}"
               + (f": {', '.join(r.unit.key for r in chosen)}" if chosen else ""), err=True)
    return chosen


def _print_diagnostics(resolved: Sequence[ResolvedUnit]) -> None:
    seen: set[str] = set()
    for item in resolved:
        for d in item.diagnostics:
            line = d.render()
            if line not in seen:  # a base manifest's problem is the same in every environment
                seen.add(line)
                click.echo(line, err=True)


@contextmanager
def _connections(options: session.TargetOptions, root: str) -> Iterator[Any]:
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


def _show_unit(item: Any) -> None:
    from cmqinfra.render import use_colour
    from cmqinfra.render.text import render_text

    where = f"region {item.region}" if item.region else "no region"
    target = f", {item.target.describe()}" if item.target else ""
    click.echo(escape.terminal(f"=== {item.unit.key} ({where}{target})"))
    if item.plan is not None and item.error is None:
        click.echo(render_text(item.plan, colour=use_colour(sys.stdout)), nl=False)
        for d in item.plan.errors:
            click.echo(d.render(), err=True)
    else:
        click.echo(escape.terminal(f"error: {item.unit.key}: {item.error}"), err=True)
    click.echo("")


def _show_all(items: Sequence[Any], fmt: str, note: str | None = None) -> None:
    from cmqinfra.project.report import project_json, render_project_markdown, render_table, run_summary

    if fmt == "json":
        click.echo(json.dumps(project_json(items), indent=2))
    elif fmt == "markdown":
        click.echo(render_project_markdown(items, note=note), nl=False)
    else:
        for item in items:
            _show_unit(item)
        click.echo(f"Project: {run_summary(items)}.")
        click.echo(render_table(items), nl=False)


# ------------------------------------------------------------ validate


def validate(selection: Selection, fmt: str, stacks_of: Sequence[str] = ()) -> None:
    from cmqinfra.commands.validate import plural
    from cmqinfra.render.diagnostics import FORMAT_VERSION, diagnostics_markdown, diagnostics_to_json

    project, units = _load(selection)
    if stacks_of:
        units = _units_of_files(project, units, stacks_of)
    resolved = _select_changed(project, _resolve(project, units), selection.changed_since)
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
        for r in resolved:
            lines.append(f"- {summary(r, lambda r: escape.code(r.unit.key))}" if r.ok
                         else f"- **{escape.code(r.unit.key)}: {plural(errors(r), 'error')}**")
            lines += ["  " + line for line in diagnostics_markdown(r.diagnostics)]
        click.echo("\n".join(lines) + "\n", nl=False)
    else:
        _print_diagnostics(resolved)
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


def plan(selection: Selection, options: session.TargetOptions, out: str | None, fmt: str,
         detailed_exitcode: bool, destroy: bool, allow_data_loss: bool = False,
         targets: Sequence[str] = ()) -> None:
    from cmqinfra.project.planfile import save_project_plan
    from cmqinfra.project.runner import plan_project

    exit_code = 0
    # Errors before any plan is shown are rendered in --format too: a comment is never empty.
    with session.user_errors(False, [], fmt, command="plan"):
        refuse_bare_targets(targets)
        project, units = _load(selection)
        units, by_unit = _unit_targets(selection, units, targets)
        note = (f"Stacks affected by the changes since {escape.code(selection.changed_since)}."
                if selection.changed_since else None)
        with _connections(options, selection.root) as connections:
            resolved, early = _resolve_and_read(project, units, selection, options, connections,
                                                partial=bool(by_unit))
            _print_diagnostics(resolved)
            items, apis = plan_project(resolved, options, connections, destroy=destroy,
                                       allow_data_loss=allow_data_loss,
                                       bystanders=_bystanders(project, resolved), early=early,
                                       unit_targets=by_unit)
            accounts = _caller_accounts(items, apis) if out and all(i.ok for i in items) else {}
        _show_all(items, fmt, note)
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
          expect_digest: str | None = None) -> None:
    from cmqinfra.project.runner import plan_project

    with session.user_errors(False, []):
        if plan_file and (selection.stacks or selection.environments or selection.changed_since):
            raise session.Failure("a saved plan applies exactly the stacks it holds: --stack, --env and "
                                  "--changed-since select stacks to plan, not to apply from --plan")
        if expect_digest and not plan_file:
            raise session.Failure("--expect-digest goes with --plan FILE")
        with _connections(options, selection.root) as connections:
            if plan_file:
                if targets:
                    raise session.Failure("--target cannot change a saved plan's targets; plan again instead")
                items, apis = _replan_saved(plan_file, options, connections, allow_data_loss, selection,
                                            expect_digest)
            else:
                refuse_bare_targets(targets)
                project, units = _load(selection)
                units, by_unit = _unit_targets(selection, units, targets)
                resolved, early = _resolve_and_read(project, units, selection, options, connections,
                                                    partial=bool(by_unit))
                _print_diagnostics(resolved)
                items, apis = plan_project(resolved, options, connections, allow_data_loss=allow_data_loss,
                                           bystanders=_bystanders(project, resolved), early=early,
                                           unit_targets=by_unit)
            _show_all(items, "text")
            failed = [i for i in items if not i.ok]
            if failed:
                raise session.Failure(f"{len(failed)} stack(s) failed or were refused: "
                                      f"{', '.join(i.unit.key for i in failed)}; nothing was changed")
            changing = [i for i in items if i.plan is not None and i.plan.has_changes]
            if not changing:
                return
            # Like Terraform, a saved plan was reviewed when it was made: it needs no second approval.
            session.confirm(auto_approve or plan_file is not None,
                            f"apply these changes to {len(changing)} stack(s)")
            if not (auto_approve or plan_file):
                for item in changing:
                    session.check_unchanged(item.plan, apis[item.unit.key], item.unit.key)
            _apply(items, apis, options)


def _caller_accounts(items: Sequence[Any], apis: dict[str, Any]) -> dict[str, str | None]:
    """The account each unit's credentials belong to (STS), to bind a saved plan to."""
    from cmqinfra.project.runner import concurrently

    keys = [i.unit.key for i in items]
    return dict(zip(keys, concurrently(lambda key: apis[key].caller_account(), keys), strict=True))


def _replan_saved(plan_file: str, options: session.TargetOptions, connections: Any,
                  allow_data_loss: bool, selection: Selection,
                  expect_digest: str | None = None) -> tuple[list[Any], dict[str, Any]]:
    from cmqinfra.plan.values import Plan
    from cmqinfra.project.planfile import read_project_plan
    from cmqinfra.project.resolve import ResolvedUnit
    from cmqinfra.project.runner import plan_project
    from cmqinfra.project.trusted import bind_to_configuration

    # Where each stack goes comes from this run's configuration, never from the file.
    from cmqinfra.run import seal

    with seal.opened(plan_file, expect_digest) as (readable, _):
        recorded = read_project_plan(readable)
    saved = bind_to_configuration(recorded, _load(selection)[1], options, plan_file)
    given = [flag for flag, value in (("--endpoint", options.endpoint), ("--local", options.local),
                                      ("--region", options.region)) if value]
    if given:
        click.echo(f"note: {', '.join(given)} ignored: a saved project plan applies each stack to the target "
                   "and region it was planned against", err=True)
    resolved = [ResolvedUnit(s.unit, s.saved.stack, (), (), (), frozenset()) for s in saved]
    bound = dataclasses.replace(options, endpoint=None, local=False, region=None)
    items, apis = plan_project(
        resolved, bound, connections, allow_data_loss=allow_data_loss,
        desired=[s.saved.stack for s in saved], targets=[s.target for s in saved],
        approved=[frozenset(s.saved.approved_data_loss) for s in saved],
        unit_targets={s.unit.key: s.saved.targets for s in saved if s.saved.targets},
    )
    stale = []
    for s, item in zip(saved, items, strict=True):
        if item.plan is None or item.error is not None:
            continue
        fresh: Plan = item.plan
        try:
            session.check_not_stale(s.saved, fresh, plan_file)
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
    if stale:
        raise session.Failure(f"{plan_file}: the saved plan is stale for {', '.join(stale)}: live state "
                              "changed since it was made; nothing was changed (run plan again)")
    return items, apis


def _apply(items: Sequence[Any], apis: dict[str, Any], options: session.TargetOptions) -> None:
    from cmqinfra.project.runner import apply_units

    def progress(unit: StackUnit, result: Any) -> None:
        if result.ok:
            click.echo(f"{unit.key}: {result.address}: {result.verb} ({result.seconds:.2f}s)")
        else:
            click.echo(f"{unit.key}: {result.address}: FAILED ({result.seconds:.2f}s): {result.error}",
                       err=True)

    with session.stop_on_signals() as stop:
        outcomes = apply_units(items, apis, options.parallelism, progress, stop)
    click.echo("")
    bad = 0
    for outcome in outcomes:
        report = outcome.report
        if outcome.ok:
            click.echo(f"{outcome.unit.key}: apply complete ({len(report.done)} step(s)).")
            continue
        bad += 1
        if report is None:
            click.echo(f"{outcome.unit.key}: apply failed: {outcome.error}", err=True)
            continue
        why = "interrupted" if report.interrupted else "failed"
        click.echo(f"{outcome.unit.key}: apply {why}: {len(report.done)} step(s) done, {len(report.failed)} "
                   f"failed, {len(report.not_started)} not started.", err=True)
        for r in report.failed:
            click.echo(f"  failed:      {r.address} ({r.phase}): {r.error}", err=True)
        for item in report.not_started:
            click.echo(f"  not started: {item}", err=True)
    if bad:
        click.echo("Running apply again converges from here.", err=True)
        raise session.Failure(f"{bad} of {len(outcomes)} stack(s) did not apply completely")
    click.echo(f"Apply complete! {len(outcomes)} stack(s) changed.")
