"""cmqinfra apply: make live state match the manifests (or run a saved plan)."""

from __future__ import annotations

import click

from cmqinfra.cloud.api import CmqApi
from cmqinfra.commands import projectmode
from cmqinfra.commands.projectmode import project_options
from cmqinfra.plan.values import Plan
from cmqinfra.run import session
from cmqinfra.run.options import target_options
from cmqinfra.run.saved import PlanFile


@click.command("apply")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--plan", "plan_file", type=click.Path(dir_okay=False), help="Apply a plan saved by `plan --out`."
)
@target_options
@project_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--allow-data-loss", is_flag=True, help="Allow deleting or replacing queues that hold messages."
)
@click.option("--verbose", is_flag=True, help="Show the whole plan before approval, however long.")
@click.option("--expect-digest", "expect_digest", metavar="sha256:HEX",
              help="With --plan: refuse the plan unless its digest is this one (the digest `plan --out` "
                   "printed in the reviewed comment).")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    callback=projectmode.check_targets,
    help="Plan only this resource (queue/NAME, topic/NAME, subscription/TOPIC/NAME) and what it needs; "
    "in project mode STACK[ENV]:ADDRESS. Repeatable. The plan is partial.",
)
def command(
    paths: tuple[str, ...],
    plan_file: str | None,
    options: session.TargetOptions,
    auto_approve: bool,
    allow_data_loss: bool,
    verbose: bool,
    targets: tuple[str, ...],
    selection: projectmode.Selection,
    expect_digest: str | None,
) -> None:
    """Apply the manifests at PATH... (or the saved plan FILE) to live state.

    With no PATH, apply every stack of the project in the current directory (see --project)."""
    from cmqinfra.run.saved import read_plan_file

    saved: PlanFile | None = None
    if plan_file and not paths:
        with session.user_errors(options.debug, []):
            refuse_data_loss_flag(allow_data_loss)
            # the one reader (sealed bytes checked: cmqinfra/run/seal.py): a stack's plan file or a project's
            saved = read_plan_file(plan_file, expect_digest)
    if not paths and (saved is None or saved.project):
        from cmqinfra.run import unit_apply

        unit_apply.apply(selection, options, plan_file, auto_approve, allow_data_loss, targets, saved,
                    verbose, expect_digest=expect_digest)
        return
    api_holder: list[CmqApi] = []
    with session.user_errors(options.debug, api_holder):
        projectmode.refuse_with_paths(selection)
        targets = projectmode.stack_targets(targets)
        if bool(paths) == bool(plan_file):
            raise session.Failure("give either manifest PATH... or --plan FILE")
        if saved is not None and plan_file:
            apply_saved(plan_file, saved, options, api_holder, verbose, targets)
            return
        if expect_digest:
            raise session.Failure("--expect-digest goes with --plan FILE")
        stack, region, live = session.load_and_read(paths, options, api_holder, whole=not targets)
        api = api_holder[0]
        plan = session.compute(
            stack,
            api,
            region.name,
            allow_data_loss=allow_data_loss,
            region_source=region.source,
            targets=targets,
            claims=session.claims_for(stack, paths),
            live=live,
        )
        apply_plan(plan, api, options, auto_approve, "apply these changes", verbose)


def refuse_data_loss_flag(allow_data_loss: bool) -> None:
    """A saved plan (a stack's or a project's) carries its own approvals: the flag adds none."""
    if allow_data_loss:
        raise session.Failure(
            "--allow-data-loss does not apply to a saved plan: it carries its own approval "
            "(plan --allow-data-loss --out FILE); nothing was changed"
        )


def apply_saved(
    plan_file: str,
    saved_file: PlanFile,
    options: session.TargetOptions,
    api_holder: list[CmqApi],
    verbose: bool,
    targets: tuple[str, ...] = (),
    expect_digest: str | None = None,
) -> None:
    """Exactly the saved plan, only where it was made; data loss only on the queues it approved."""
    saved = saved_file.single
    if targets and tuple(targets) != saved.targets:
        raise session.Failure("--target cannot change a saved plan's targets; plan again instead")
    bound = session.bound_options(saved, options, plan_file)
    if bound.endpoint and not options.endpoint:
        # The file named it, not this run's operator: the repository's rule (docs/security.md, G1).
        from cmqinfra.run.trust import endpoint_problem

        problem = endpoint_problem(bound.endpoint, options.allowed_endpoints)
        if problem is not None:
            raise session.Failure(f"{plan_file}: the plan was made against {bound.endpoint}, which this run "
                                  f"does not name: pass --endpoint {bound.endpoint} (or --allow-endpoint) to "
                                  "apply there; nothing was sent to it")
    api_holder.append(session.connect(bound, bound.region))
    api = api_holder[0]
    session.check_account(saved, api, plan_file)
    plan = session.compute(
        saved.stack,
        api,
        bound.region,
        destroy=saved.destroy,
        approved_data_loss=frozenset(saved.approved_data_loss),
        region_source="saved plan",
        targets=saved.targets,
    )
    session.check_not_stale(saved, plan, plan_file)
    # Like Terraform, a saved plan was reviewed when it was made: it needs no second approval.
    apply_plan(plan, api, bound, True, "apply these changes", verbose)


def apply_plan(
    plan: Plan,
    api: CmqApi,
    options: session.TargetOptions,
    auto_approve: bool,
    what: str,
    verbose: bool = True,
) -> None:
    session.show(plan, verbose=verbose)
    if not plan.ok:
        raise session.Failure(f"the plan has {len(plan.errors)} error(s); nothing was changed")
    if not plan.has_changes:
        return
    session.confirm(auto_approve, what)
    if not auto_approve:
        session.check_unchanged(plan, api)
    report = session.run(plan, api, options.parallelism)
    if not report.ok:
        raise click.exceptions.Exit(1)
