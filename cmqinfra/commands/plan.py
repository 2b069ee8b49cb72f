"""cmqinfra plan: show what apply would change."""

from __future__ import annotations

import click

from cmqinfra.cloud.api import CmqApi
from cmqinfra.commands import projectmode
from cmqinfra.commands.projectmode import project_options
from cmqinfra.render.markdown import render_markdown
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
    options: session.TargetOptions,
    out: str | None,
    fmt: str,
    detailed_exitcode: bool,
    destroy: bool,
    targets: tuple[str, ...],
    selection: projectmode.Selection,
) -> None:
    """Compare the manifests at PATH... with live state and show the changes apply would make.

    With no PATH, plan every stack of the project in the current directory (see --project)."""
    if not paths:
        if targets:
            raise click.UsageError("--target plans part of one stack: give its manifest PATH...")
        projectmode.plan(selection, options, out, fmt, detailed_exitcode, destroy)
        return
    api_holder: list[CmqApi] = []
    exit_code = 0
    with session.user_errors(options.debug, api_holder):
        projectmode.refuse_with_paths(selection)
        stack, region, live = session.load_and_read(paths, options, api_holder, whole=not targets)
        claims = session.claims_for(stack, paths)
        plan = session.compute(
            stack, api_holder[0], region, destroy=destroy, targets=targets, claims=claims, live=live
        )
        if fmt == "markdown":  # the pull-request comment (docs/gitops.md)
            click.echo(render_markdown(plan), nl=False)
        else:
            session.show(plan, fmt)
        if not plan.ok:
            raise session.Failure(f"the plan has {len(plan.errors)} error(s); nothing can be applied")
        if out:
            session.save(plan, out)
            click.echo(f"Saved the plan to {out}; run `cmqinfra apply --plan {out}` to apply it.", err=True)
        if detailed_exitcode and plan.has_changes:
            exit_code = 2
    if exit_code:
        raise click.exceptions.Exit(exit_code)
