"""cmqinfra destroy: delete everything the stack owns, with the same safety rules."""

from __future__ import annotations

import click

from cmqinfra.cloud.api import CmqApi
from cmqinfra.commands import projectmode
from cmqinfra.commands.apply import apply_plan
from cmqinfra.commands.projectmode import Selection, project_options
from cmqinfra.run import session
from cmqinfra.run.options import target_options


@click.command("destroy")
@click.argument("paths", nargs=-1, type=click.Path())
@target_options
@project_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-data-loss", is_flag=True, help="Allow deleting queues that hold messages.")
@click.option("--verbose", is_flag=True, help="Show the whole plan before approval, however long.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    callback=projectmode.check_targets,
    help="Destroy only this resource (queue/NAME, topic/NAME, subscription/TOPIC/NAME) and what depends "
    "on it; in project mode STACK[ENV]:ADDRESS. Repeatable.",
)
def command(
    paths: tuple[str, ...],
    options: session.TargetOptions,
    auto_approve: bool,
    allow_data_loss: bool,
    verbose: bool,
    selection: Selection,
    targets: tuple[str, ...],
) -> None:
    """Delete every queue, topic and subscription the stack at PATH... owns.

    With no PATH, destroy what the selected stacks of the project in the current directory own
    (--stack, --env, --changed-since; see --project), after one approval."""
    if not paths:
        from cmqinfra.run import unit_apply

        unit_apply.apply(selection, options, None, auto_approve, allow_data_loss, targets, None, verbose,
                    destroy=True)
        return
    api_holder: list[CmqApi] = []
    with session.user_errors(options.debug, api_holder):
        projectmode.refuse_with_paths(selection)
        targets = projectmode.stack_targets(targets)
        session.refuse_project_member(paths)
        stack = session.load(paths)
        region = session.resolve(options, stack)
        api_holder.append(session.connect(options, region.name))
        plan = session.compute(
            stack,
            api_holder[0],
            region.name,
            allow_data_loss=allow_data_loss,
            destroy=True,
            region_source=region.source,
            targets=targets,
            claims=session.claims_for(stack, paths),
        )
        apply_plan(plan, api_holder[0], options, auto_approve, "destroy these resources", verbose)
