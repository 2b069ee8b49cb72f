"""cmqinfra plan: show what apply would change."""

from __future__ import annotations

import click

from cmqinfra.commands import projectmode
from cmqinfra.commands.projectmode import project_options
from cmqinfra.commands.shared_options import resource_types_option
from cmqinfra.run import session
from cmqinfra.run.options import target_options


@click.command("plan")
@click.argument("paths", nargs=-1, type=click.Path())
@target_options
@project_options
@click.option(
    "--out", "out", type=click.Path(dir_okay=False), help="Save the plan (JSON) for `apply --plan`."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when there are none."
)
@resource_types_option
@click.option("--destroy", is_flag=True, help="Plan the deletion of everything the stack owns.")
@click.option(
    "--allow-data-loss",
    is_flag=True,
    help="Approve deleting or replacing the queues that hold messages now (recorded per queue in --out).",
)
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    callback=projectmode.check_targets,
    help="Plan only this resource (queue/NAME, topic/NAME, subscription/TOPIC/NAME) and what it needs; "
    "in project mode STACK[ENV]:ADDRESS. Repeatable. The plan is partial.",
)
@click.option(
    "--baseline",
    metavar="GIT_REF",
    help="The commit whose manifests were last applied (default: the merge base of --changed-since): "
    "changes that set back a live value moved away from it are marked 'changed outside cmqinfra'.",
)
@click.option(
    "--full-plan",
    "full_plan",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="With --format markdown: also write the whole comment, never cut, to FILE; a comment cut to "
    "GitHub's 65,536 characters names FILE (publish it with the CI job's artifacts).",
)
def command(
    paths: tuple[str, ...],
    options: session.TargetOptions,
    out: str | None,
    fmt: str,
    detailed_exitcode: bool,
    destroy: bool,
    allow_data_loss: bool,
    targets: tuple[str, ...],
    baseline: str | None,
    full_plan: str | None,
    selection: projectmode.Selection,
    resource_types: str = "cmqinfra",
) -> None:
    """Compare the manifests at PATH... with live state and show the changes apply would make.

    With no PATH, plan every stack of the project in the current directory (see --project)."""
    if resource_types != "cmqinfra" and fmt != "json":
        raise click.UsageError("--resource-types applies to --format json")
    from cmqinfra.run import unit_plan

    unit_plan.plan(selection, options, out, fmt, detailed_exitcode, destroy, allow_data_loss,
                   projectmode.stack_targets(targets) if paths else targets, resource_types,
                   baseline=baseline, full_plan=full_plan, paths=paths)
