"""`cmqinfra validate PATH...`: check manifests, report every problem, exit 0 or 1."""

from __future__ import annotations

import json

import click

from cmqinfra.manifest import load_stack


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: compiler-style lines; json: a list of diagnostics for tools.")
def command(paths: tuple[str, ...], fmt: str) -> None:
    """Check manifest files or directories against the schema and the semantic rules."""
    result = load_stack(list(paths))
    if fmt == "json":
        click.echo(json.dumps([d.to_json() for d in result.diagnostics], indent=2, ensure_ascii=False))
    else:
        for diagnostic in result.diagnostics:
            click.echo(diagnostic.render(), err=True)
        if result.stack is not None:
            s = result.stack
            click.echo(f"ok: {s.name}: {len(s.queues)} queues, {len(s.topics)} topics, "
                       f"{len(s.subscriptions)} subscriptions")
    if result.stack is None:
        raise click.exceptions.Exit(1)
