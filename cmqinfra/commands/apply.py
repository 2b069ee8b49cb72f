"""cmqinfra apply: make live state match the manifests (or run a saved plan)."""

from __future__ import annotations

import click

from cmqinfra.cloud.api import CmqApi
from cmqinfra.commands import projectmode
from cmqinfra.commands.projectmode import project_options
from cmqinfra.plan.values import Plan
from cmqinfra.run import session
from cmqinfra.run.options import target_options


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
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    callback=session.check_targets,
    help="Plan only this resource (queue/NAME, topic/NAME, subscription/TOPIC/NAME) and what it needs; "
    "repeatable. The plan is partial.",
)
def command(
    paths: tuple[str, ...],
    plan_file: str | None,
    options: session.TargetOptions,
    auto_approve: bool,
    allow_data_loss: bool,
    targets: tuple[str, ...],
    selection: projectmode.Selection,
) -> None:
    """Apply the manifests at PATH... (or the saved plan FILE) to live state.

    With no PATH, apply every stack of the project in the current directory (see --project)."""
    from cmqinfra.project.planfile import is_project_plan

    if not paths and (not plan_file or is_project_plan(plan_file)):
        if targets:
            raise click.UsageError("--target plans part of one stack: give its manifest PATH...")
        projectmode.apply(selection, options, plan_file, auto_approve, allow_data_loss)
        return
    api_holder: list[CmqApi] = []
    with session.user_errors(options.debug, api_holder):
        projectmode.refuse_with_paths(selection)
        if bool(paths) == bool(plan_file):
            raise session.Failure("give either manifest PATH... or --plan FILE")
        live = None
        if plan_file:
            saved = session.read_saved(plan_file)
            stack, region, destroy = saved.stack, options.region or saved.region, saved.destroy
            if targets and tuple(targets) != saved.targets:
                raise session.Failure("--target cannot change a saved plan's targets; plan again instead")
            targets = saved.targets
            api_holder.append(session.connect(options, region))
        else:
            saved = None
            stack, region, live = session.load_and_read(paths, options, api_holder, whole=not targets)
            destroy = False
        api = api_holder[0]
        claims = session.claims_for(stack, paths) if paths else None
        plan = session.compute(
            stack,
            api,
            region,
            allow_data_loss=allow_data_loss,
            destroy=destroy,
            targets=targets,
            claims=claims,
            live=live,
        )
        if saved is not None and plan_file:
            session.check_not_stale(saved, plan, plan_file)
        # Like Terraform, a saved plan was reviewed when it was made: it needs no second approval.
        apply_plan(plan, api, options, auto_approve or saved is not None, "apply these changes")


def apply_plan(
    plan: Plan, api: CmqApi, options: session.TargetOptions, auto_approve: bool, what: str
) -> None:
    session.show(plan)
    if not plan.ok:
        raise session.Failure(f"the plan has {len(plan.errors)} error(s); nothing was changed")
    if not plan.has_changes:
        return
    session.confirm(auto_approve, what)
    report = session.run(plan, api, options.parallelism)
    if not report.ok:
        raise click.exceptions.Exit(1)
