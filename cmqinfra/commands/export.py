"""``cmqinfra export``: write manifests from live state (adopt existing infrastructure)."""

from __future__ import annotations

from pathlib import Path

import click

from cmqinfra.cloud.api import CmqApi
from cmqinfra.run import session, unit_export
from cmqinfra.run.options import target_options
from cmqinfra.selection import Selection


@click.command("export")
@click.option("--stack", "stack", metavar="S", help="Export the resources owned by stack S.")
@click.option(
    "--all", "include_unowned", is_flag=True,
    help="Also export every unowned queue and topic (applying the result adopts them).",
)
@target_options
@click.option(
    "-o", "--output", "output", type=click.Path(), metavar="DIR_OR_FILE",
    help="A .yaml/.yml file, or a directory (gets <stack>.yaml). Default: standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("--env", "environment", metavar="NAME",
              help="Project mode: export what --stack owns in this environment, as its manifests write it.")
@click.option("--project", "root", default=".", metavar="DIR", show_default=True,
              help="Project mode: the project root holding cmqinfra.yaml.")
def command(
    stack: str | None,
    include_unowned: bool,
    options: session.TargetOptions,
    output: str | None,
    force: bool,
    environment: str | None,
    root: str,
) -> None:
    """Write a manifest from live state, in the format users write by hand.

    In a project (cmqinfra.yaml, or --env), --stack names a stack of the project: what it owns in
    the environment is read on that environment's target and region, and written with the stack's
    own names (the environment's name affixes taken out), ready for its directory."""
    from cmqinfra.export.run import export_text, output_path
    from cmqinfra.project.config import PROJECT_FILE

    if stack is not None and (environment is not None or (Path(root) / PROJECT_FILE).is_file()):
        with session.user_errors(options.debug, []):
            selection = Selection(root, (stack,), (environment,) if environment else (), None)
            unit_export.export_unit(selection, options, include_unowned, output, force)
        return
    api_holder: list[CmqApi] = []
    with session.user_errors(options.debug, api_holder):
        if stack is None and not include_unowned:
            raise session.Failure("say what to export: --stack NAME, --all, or both")
        destination = output_path(output, stack) if output else None
        if destination is not None and destination.exists() and not force:
            # Checked before any call: an export never silently replaces a file someone wrote.
            raise session.Failure(
                f"{destination} already exists; nothing was written (pass --force to overwrite it)"
            )
        region = session.region_for(options, None)
        api_holder.append(session.connect(options, region))
        text, skipped = export_text(api_holder[0], stack, include_unowned, region, destination)
        if skipped:
            click.echo(
                f"note: {skipped} queue(s)/topic(s) owned by other stacks were not exported "
                "(export them with --stack NAME)",
                err=True,
            )
        if destination is None:
            click.echo(text, nl=False)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text, encoding="utf-8")
            click.echo(f"Wrote {destination}", err=True)
