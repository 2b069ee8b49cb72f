"""cmqinfra show PLANFILE: render a saved plan, offline (no credentials, no network)."""

from __future__ import annotations

import click

from cmqinfra.run import seal, session


@click.command("show")
@click.argument("plan_file", type=click.Path(dir_okay=False))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
def command(plan_file: str, fmt: str) -> None:
    """Show the saved plan PLAN_FILE (from `plan --out`) as text, JSON or a pull-request comment."""
    with session.user_errors(False, [], fmt, command="show"):
        # The bytes shown are the bytes apply would check and run: the same seal, the same reader.
        with seal.opened(plan_file) as (readable, _):
            saved = session.read_saved(readable)
        assert saved.plan is not None
        session.show(saved.plan, fmt)
        if fmt == "text" and saved.target is not None:
            approved = ", ".join(saved.approved_data_loss) or "none"
            click.echo(f"\nPlanned against {saved.target.describe()}; data loss approved for: {approved}.")
