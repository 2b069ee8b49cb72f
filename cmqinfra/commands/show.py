"""cmqinfra show PLANFILE: render a saved plan, offline (no credentials, no network)."""

from __future__ import annotations

import click

from cmqinfra.commands.shared_options import resource_types_option
from cmqinfra.run import session


@click.command("show")
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@resource_types_option
def command(plan_file: str, fmt: str, resource_types: str) -> None:
    """Show the saved plan PLAN_FILE (from `plan --out`) as text, JSON or a pull-request comment.

    A project's plan file (from `plan --out` with no PATH) is shown as the plan was: a section
    per stack and environment, and the summary table."""
    from cmqinfra.run.saved import read_plan_file

    with session.user_errors(False, [], fmt, command="show"):
        # The one reader `apply --plan` uses: the same seal checked, the same bytes shown.
        saved_file = read_plan_file(plan_file)
        from cmqinfra.run import unit_show

        unit_show.show_saved(plan_file, saved_file, fmt, resource_types)
