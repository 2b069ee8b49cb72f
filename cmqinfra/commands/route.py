"""``cmqinfra route PATH TOPIC``: who receives a message, from the manifest alone (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cmqinfra.routing_report import Message, RouteError, render_text, route, to_json


@click.command(name="route")
@click.argument("path", type=click.Path(exists=True))
@click.argument("topic")
@click.option(
    "--routing-key", "routing_key", default=None, help="The message's routing key (routingKey topics)."
)
@click.option("--tag", "tags", multiple=True, help="A message tag (tag topics); repeat for several.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def command(path: str, topic: str, routing_key: str | None, tags: tuple[str, ...], fmt: str) -> None:
    """Show which subscriptions of TOPIC receive a message, and why the others do not.

    Offline: reads only the manifest at PATH, never the cloud.
    """
    from cmqinfra.manifest import load_stack

    result = load_stack([Path(path)])
    for diagnostic in result.diagnostics:
        click.echo(diagnostic.render(), err=True)
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    if errors or result.stack is None:
        raise click.exceptions.Exit(1)
    try:
        report = route(result.stack, topic, Message(routing_key=routing_key, tags=tuple(tags)))
    except RouteError as exc:
        click.echo(f"error: {exc}", err=True)
        raise click.exceptions.Exit(1) from None
    if fmt == "json":
        click.echo(json.dumps(to_json(report), indent=2))
    else:
        click.echo(render_text(report))
