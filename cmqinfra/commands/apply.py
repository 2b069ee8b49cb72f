"""cmqinfra apply: make live state match the manifests (or run a saved plan)."""

from __future__ import annotations

import click

from cmqinfra.cloud.api import CmqApi
from cmqinfra.plan.values import Plan
from cmqinfra.run import session
from cmqinfra.run.options import target_options


@click.command("apply")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--plan", "plan_file", type=click.Path(dir_okay=False), help="Apply a plan saved by `plan --out`."
)
@target_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--allow-data-loss", is_flag=True, help="Allow deleting or replacing queues that hold messages."
)
def command(
    paths: tuple[str, ...],
    plan_file: str | None,
    options: session.TargetOptions,
    auto_approve: bool,
    allow_data_loss: bool,
) -> None:
    """Apply the manifests at PATH... (or the saved plan FILE) to live state."""
    api_holder: list[CmqApi] = []
    with session.user_errors(options.debug, api_holder):
        if bool(paths) == bool(plan_file):
            raise session.Failure("give either manifest PATH... or --plan FILE")
        live = None
        if plan_file:
            saved = session.read_saved(plan_file)
            stack, region, destroy = saved.stack, options.region or saved.region, saved.destroy
            api_holder.append(session.connect(options, region))
        else:
            saved = None
            stack, region, live = session.load_and_read(paths, options, api_holder)
            destroy = False
        api = api_holder[0]
        plan = session.compute(
            stack, api, region, allow_data_loss=allow_data_loss, destroy=destroy, live=live
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
