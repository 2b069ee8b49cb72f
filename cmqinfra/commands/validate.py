"""`cmqinfra validate PATH...`: check manifests, report every problem, exit 0 or 1."""

from __future__ import annotations

import json

import click

from cmqinfra.commands import projectmode
from cmqinfra.commands.projectmode import project_options
from cmqinfra.manifest import load_stack
from cmqinfra.run import session


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: compiler-style lines; json: a list of diagnostics for tools.")
@project_options
@click.option("--stacks-of", is_flag=True,
              help="Project mode: PATH... are changed files; validate each stack they belong to "
                   "(the pre-commit hook).")
def command(paths: tuple[str, ...], fmt: str, selection: projectmode.Selection, stacks_of: bool) -> None:
    """Check manifest files or directories against the schema and the semantic rules.

    With no PATH, validate every stack of the project in the current directory (see --project)."""
    if not paths or stacks_of:
        with session.user_errors(False, []):
            if stacks_of and not paths:
                return  # the hook was given no files
            projectmode.validate(selection, fmt, paths if stacks_of else ())
        return
    with session.user_errors(False, []):
        projectmode.refuse_with_paths(selection)
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
