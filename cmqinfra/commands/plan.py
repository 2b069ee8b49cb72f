"""cmqinfra plan: show what apply would change."""

from __future__ import annotations

import shlex

import click

from cmqinfra.cloud.api import CmqApi
from cmqinfra.commands.selection import (
    Selection,
    check_targets,
    project_options,
    refuse_with_paths,
    stack_targets,
)
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
    callback=check_targets,
    help="Plan only this resource (queue/NAME, topic/NAME, subscription/TOPIC/NAME) and what it needs; "
    "in project mode STACK[ENV]:ADDRESS. Repeatable. The plan is partial.",
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
    selection: Selection,
) -> None:
    """Compare the manifests at PATH... with live state and show the changes apply would make.

    With no PATH, plan every stack of the project in the current directory (see --project)."""
    if not paths:
        from cmqinfra.commands import projectmode  # the project machinery only in project mode

        projectmode.plan(selection, options, out, fmt, detailed_exitcode, destroy, allow_data_loss, targets)
        return
    api_holder: list[CmqApi] = []
    exit_code = 0
    with session.user_errors(options.debug, api_holder, fmt):
        refuse_with_paths(selection)
        targets = stack_targets(targets)
        if out:
            session.check_writable(out)
        stack, region, live = session.load_and_read(paths, options, api_holder, whole=not targets)
        target = session.target_for(options, region.name)
        plan = session.compute(
            stack,
            api_holder[0],
            region.name,
            destroy=destroy,
            allow_data_loss=allow_data_loss,
            region_source=region.source,
            targets=targets,
            claims=session.claims_for(stack, paths),
            live=live,
        )
        session.show(plan, fmt)
        if not plan.ok:
            raise session.Refused(f"the plan has {len(plan.errors)} error(s); nothing can be applied")
        if out:
            bound = session.bind(target, api_holder[0])
            session.save(plan, out, bound)
            session.announce_digest(out, fmt)
            click.echo(
                f"Saved the plan to {out} ({bound.describe()}). To apply exactly this plan there, run:\n"
                f"  cmqinfra apply --plan {shlex.quote(out)}",
                err=True,
            )
        if detailed_exitcode and plan.has_changes:
            exit_code = 2
    if exit_code:
        raise click.exceptions.Exit(exit_code)
