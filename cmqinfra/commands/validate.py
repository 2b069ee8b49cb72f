"""`cmqinfra validate PATH...`: check manifests, report every problem, exit 0 or 1."""

from __future__ import annotations

import json

import click

from cmqinfra.manifest import load_stack


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True,
              help="text: compiler-style lines; json: diagnostics like `terraform validate -json`; "
                   "markdown: a pull-request comment.")
def command(paths: tuple[str, ...], fmt: str) -> None:
    """Check manifest files or directories against the schema and the semantic rules."""
    from cmqinfra.render.diagnostics import diagnostics_markdown, diagnostics_to_json, failure_markdown

    result = load_stack(list(paths))
    s = result.stack
    summary = (
        f"{s.name}: {plural(len(s.queues), 'queue')}, {plural(len(s.topics), 'topic')}, "
        f"{plural(len(s.subscriptions), 'subscription')}"
        if s is not None
        else None
    )
    if fmt == "json":
        doc = diagnostics_to_json(result.diagnostics, stack=s.name if s else None)
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        if s is None:
            errors = sum(1 for d in result.diagnostics if d.severity.value == "error")
            message = f"{plural(errors, 'error')} in the manifest"
            click.echo(failure_markdown("cmqinfra validate failed", message, result.diagnostics), nl=False)
        else:
            lines = [f"### :white_check_mark: cmqinfra validate: {summary}", ""]
            lines += diagnostics_markdown(result.diagnostics)
            click.echo("\n".join(lines) + "\n", nl=False)
    else:
        for diagnostic in result.diagnostics:
            click.echo(diagnostic.render(), err=True)
        if summary is not None:
            click.echo(f"ok: {summary}")
    if s is None:
        raise click.exceptions.Exit(1)
