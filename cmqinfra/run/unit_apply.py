"""apply and destroy over a run's units: plan them (or plan a saved file's units again, bound
to where they were planned), show, ask once, run the one apply loop (cmqinfra/run/applying.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import click

from cmqinfra.render import escape
from cmqinfra.run import session
from cmqinfra.run.saved import PlanFile
from cmqinfra.run.unit_connections import caller_accounts, open_connections, orphans
from cmqinfra.run.unit_selection import (
    cross_checked,
    load_selection,
    others_of,
    refuse_bare_targets,
    resolve_and_read,
    unit_targets,
    whole_project,
)
from cmqinfra.run.unit_view import print_diagnostics, show_all
from cmqinfra.selection import Selection


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
                units, by_unit = unit_targets(selection, units, targets)
                resolved, early = resolve_and_read(project, units, selection, options, connections,
                                                    partial=bool(by_unit))
                others = others_of(project, resolved)
                resolved = cross_checked(project, resolved, others)
                print_diagnostics(resolved)
                items, apis = plan_project(resolved, options, connections, allow_data_loss=allow_data_loss,
                                           destroy=destroy,
                                           bystanders=[o for o in others if o.stack is not None],
                                           early=early, unit_targets=by_unit)
                if whole_project(selection, by_unit) and not destroy:
                    warnings = orphans(items, apis, connections, others)
            show_all(items, "text", verbose=verbose, warnings=warnings)
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
        now = caller_accounts(items, apis)
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
