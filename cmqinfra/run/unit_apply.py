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
from cmqinfra.run.unit_paths import refuse_project_flags, unit_error
from cmqinfra.run.unit_pick import pick_units
from cmqinfra.run.unit_selection import (
    load_selection,
    whole_project,
)
from cmqinfra.run.unit_view import refusal, show_all
from cmqinfra.selection import Selection


def apply(selection: Selection, options: session.TargetOptions, plan_file: str | None,
          auto_approve: bool, allow_data_loss: bool, targets: Sequence[str] = (),
          saved: PlanFile | None = None, verbose: bool = True, destroy: bool = False,
          expect_digest: str | None = None, paths: Sequence[str] = ()) -> None:
    """Plan the run's units (the project's selected ones, or the one unit of ``paths``) or take a
    saved plan file, show, ask once, apply every unit with changes. ``destroy``: plan the deletion
    of everything the units own, under the same safety rules and approval."""
    from cmqinfra.run.runner import plan_project

    single = bool(paths) or (saved is not None and not saved.project)
    holder: list[Any] = []  # a PATH's connections: their calls reported after any error line
    with session.user_errors(options.debug and single, holder):
        if single:
            refuse_project_flags(selection)
        if paths and plan_file:
            raise session.Failure("give either manifest PATH... or --plan FILE")
        if expect_digest and not plan_file:
            raise session.Failure("--expect-digest goes with --plan FILE")
        if plan_file and (selection.stacks or selection.environments or selection.changed_since):
            raise session.Failure("a saved plan applies exactly the stacks it holds: --stack, --env and "
                                  "--changed-since select stacks to plan, not to apply from --plan")
        warnings: list[str] = []
        where, check = options, None
        if single and saved is not None and plan_file:
            if targets and tuple(targets) != saved.single.targets:
                raise session.Failure("--target cannot change a saved plan's targets; plan again instead")
            where = bound_saved(plan_file, saved.single, options)
            check = lambda api: session.check_account(saved.single, api, plan_file)  # noqa: E731
        root = (options.workdir or ".") if single else selection.root
        with open_connections(where, root, single, check, holder if single else None) as connections:
            if plan_file and single:
                assert saved is not None
                items, apis = replan_single(plan_file, saved.single, where, connections)
            elif plan_file:
                if targets:
                    raise session.Failure("--target cannot change a saved plan's targets; plan again instead")
                assert saved is not None
                items, apis = _replan_saved(plan_file, saved, options, connections, selection)
            else:
                picked = pick_units(selection, paths, targets, options, connections)
                items, apis = plan_project(picked.resolved, options, connections,
                                           allow_data_loss=allow_data_loss, destroy=destroy,
                                           bystanders=picked.bystanders, early=picked.early,
                                           unit_targets=picked.by_unit, claims=picked.claims)
                if single:
                    unit_error(items)
                elif whole_project(selection, picked.by_unit) and not destroy:
                    warnings = orphans(items, apis, connections, picked.others)
            show_all(items, "text", verbose=verbose, warnings=warnings)
            why = refusal(items, single, "nothing was changed")
            if why is not None:
                raise session.Failure(why)
            changing = [i for i in items if i.plan is not None and i.plan.has_changes]
            if not changing:
                return
            # Like Terraform, a saved plan was reviewed when it was made: it needs no second approval.
            if single:
                what = "destroy these resources" if destroy else "apply these changes"
            else:
                what = "destroy these resources in" if destroy else "apply these changes to"
                what = f"{what} {len(changing)} stack(s)"
            session.confirm(auto_approve or plan_file is not None, what)
            if not (auto_approve or plan_file):  # live state read again after the 'yes'
                for item in changing:
                    session.check_unchanged(item.plan, apis[item.unit.key], "" if single else item.unit.key)
            _apply(items, apis, options, single)


def bound_saved(plan_file: str, saved: Any, options: session.TargetOptions) -> session.TargetOptions:
    """A PATH's saved plan goes only where it was made: its own target unless flags name one
    (then the same), and an endpoint the file names only as this run's operator allows."""
    bound = session.bound_options(saved, options, plan_file)
    if bound.endpoint and not options.endpoint:
        # The file named it, not this run's operator: the repository's rule (docs/security.md, G1).
        from cmqinfra.run.trust import endpoint_problem

        problem = endpoint_problem(bound.endpoint, options.allowed_endpoints)
        if problem is not None:
            raise session.Failure(f"{plan_file}: the plan was made against {bound.endpoint}, which this run "
                                  f"does not name: pass --endpoint {bound.endpoint} (or --allow-endpoint) to "
                                  "apply there; nothing was sent to it")
    return bound


def replan_single(plan_file: str, saved: Any, bound: session.TargetOptions,
                  connections: Any) -> tuple[list[Any], dict[str, Any]]:
    """A PATH's saved plan planned again from its desired stack, with its approvals and targets,
    where it was made; refused, naming the file, when it is stale or was edited."""
    from cmqinfra.project.resolve import ResolvedUnit
    from cmqinfra.run.connections import ResolvedTarget
    from cmqinfra.run.runner import plan_project
    from cmqinfra.run.unit_paths import path_unit

    unit = path_unit((), saved.stack.name)
    kind = "local" if bound.local else "endpoint" if bound.endpoint else "cloud"
    target = ResolvedTarget(kind, bound.endpoint, None, bound.region)
    items, apis = plan_project(
        [ResolvedUnit(unit, saved.stack, (), (), (), frozenset())], bound, connections,
        destroy=saved.destroy, desired=[saved.stack], targets=[target],
        approved=[frozenset(saved.approved_data_loss)],
        unit_targets={unit.key: saved.targets} if saved.targets else {},
    )
    unit_error(items)
    session.check_not_stale(saved, items[0].plan, plan_file)
    return items, apis


def _replan_saved(plan_file: str, saved_file: PlanFile, options: session.TargetOptions,
                  connections: Any, selection: Selection) -> tuple[list[Any], dict[str, Any]]:
    from cmqinfra.plan.values import Plan
    from cmqinfra.project.resolve import ResolvedUnit
    from cmqinfra.run.apply_targets import bind_to_configuration
    from cmqinfra.run.planfile import project_units
    from cmqinfra.run.runner import plan_project

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


def _apply(items: Sequence[Any], apis: dict[str, Any], options: session.TargetOptions,
           single: bool = False) -> None:
    """The one apply loop (cmqinfra/run/applying.py) over every unit with changes; a PATH's one
    unit is unlabelled, as its progress lines always were."""
    from cmqinfra.run.applying import UnitRun, apply_all, report_run

    def echo(line: str, is_error: bool) -> None:
        click.echo(line, err=is_error)

    runs = [UnitRun("" if single else i.unit.key, i.plan, apis[i.unit.key]) for i in items
            if i.plan is not None and i.plan.has_changes]
    done = apply_all(runs, options.parallelism, echo)
    report_run(done, echo, destroy=all(r.plan.destroy for r in runs))
    if done.ok:
        return
    if single:
        error = done.outcomes[0].error
        if error is not None:
            raise session.Failure(f"apply failed: {error}")
        raise click.exceptions.Exit(1)
    raise session.Failure(f"{sum(1 for o in done.outcomes if not o.ok)} of {len(done.outcomes)} stack(s) "
                          "did not apply completely")
