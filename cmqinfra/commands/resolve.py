"""`cmqinfra resolve STACK --env ENV`: the manifests of one stack as one environment sees them."""

from __future__ import annotations

from pathlib import Path

import click

from cmqinfra.project.resolve import resolve_unit, resolved_yaml
from cmqinfra.project.units import ProjectError, load_project
from cmqinfra.run import session


@click.command("resolve")
@click.argument("stack")
@click.option("--env", "environment", metavar="NAME",
              help="The environment (needed when the stack has several).")
@click.option("--project", "root", default=".", metavar="DIR", show_default=True, help="The project root.")
def command(stack: str, environment: str | None, root: str) -> None:
    """Print STACK's manifests resolved for one environment: variables interpolated, names affixed,
    the environment's region in place; what plan and apply will use, for review."""
    with session.user_errors(False, []):
        project = load_project(Path(root))
        for d in project.diagnostics:
            click.echo(d.render(), err=True)
        if not project.ok:
            raise session.Failure(f"{len(project.diagnostics)} error(s) in the project")
        try:
            units = project.units([stack], [environment] if environment else [])
        except ProjectError as exc:
            raise session.Failure(str(exc)) from None
        if not units:
            raise session.Failure(f"stack {stack!r} is not deployed to environment {environment!r}")
        if len(units) > 1:
            envs = ", ".join(str(u.environment) for u in units)
            raise session.Failure(f"stack {stack!r} has several environments ({envs}): name one with --env")
        resolved = resolve_unit(project, units[0])
        for d in resolved.diagnostics:
            click.echo(d.render(), err=True)
        if not resolved.ok:
            errors = sum(1 for d in resolved.diagnostics if d.severity.value == "error")
            raise session.Failure(f"{errors} error(s) in {units[0].key}")
        click.echo(f"# cmqinfra resolve {stack}" + (f" --env {environment}" if environment else ""))
        click.echo(resolved_yaml(resolved), nl=False)
