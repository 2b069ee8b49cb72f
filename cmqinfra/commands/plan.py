"""cmqinfra plan: show what apply would change."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from cmqinfra.cloud.api import CmqApi
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
    if not paths:
        from cmqinfra.run import unit_plan

        unit_plan.plan(selection, options, out, fmt, detailed_exitcode, destroy, allow_data_loss, targets,
                   resource_types, baseline=baseline, full_plan=full_plan)
        return
    api_holder: list[CmqApi] = []
    exit_code = 0
    with session.user_errors(options.debug, api_holder, fmt):
        projectmode.refuse_with_paths(selection)
        targets = projectmode.stack_targets(targets)
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
        if baseline:
            from cmqinfra.plan.drift import mark_drift
            from cmqinfra.project.baseline import baseline_commit, paths_baseline

            anchor = Path(paths[0]).resolve()
            commit = baseline_commit(anchor if anchor.is_dir() else anchor.parent, baseline, merge_base=False)
            plan = mark_drift(plan, paths_baseline(paths, commit))
        if fmt == "markdown":
            from cmqinfra.project.report import provenance_of, write_full_plan
            from cmqinfra.render.markdown import render_markdown

            anchor = Path(paths[0]).resolve()
            made = provenance_of(anchor if anchor.is_dir() else anchor.parent)
            if full_plan:
                write_full_plan(full_plan, render_markdown(plan, None, provenance=made))
            click.echo(render_markdown(plan, provenance=made, full_plan=full_plan), nl=False)
        else:
            session.show(plan, fmt, resource_types=resource_types)
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
