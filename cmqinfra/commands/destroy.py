"""cmqinfra destroy: delete everything the stack owns, with the same safety rules."""

from __future__ import annotations

import click

from cmqinfra.commands import projectmode
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
    from cmqinfra.run import unit_apply

    unit_apply.apply(selection, options, None, auto_approve, allow_data_loss,
                     projectmode.stack_targets(targets) if paths else targets, None, verbose, destroy=True,
                     paths=paths)
