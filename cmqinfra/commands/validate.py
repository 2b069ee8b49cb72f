"""`cmqinfra validate PATH...`: check manifests, report every problem, exit 0 or 1."""

from __future__ import annotations

import click

from cmqinfra.commands.selection import Selection, project_options

# The operator's policy file variable, as run/unit_validate.py spells it (tests/test_startup.py
# holds it equal to policy/config.py's).
from cmqinfra.run.unit_validate import OPERATOR_POLICIES

__all__ = ["OPERATOR_POLICIES", "command"]


@click.command("validate")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True,
              help="text: compiler-style lines; json: diagnostics like `terraform validate -json`; "
                   "markdown: a pull-request comment.")
@project_options
@click.option("--stacks-of", is_flag=True,
              help="Project mode: PATH... are changed files; validate each stack they belong to "
                   "(the pre-commit hook).")
def command(paths: tuple[str, ...], fmt: str, selection: Selection, stacks_of: bool) -> None:
    """Check manifest files or directories against the schema and the semantic rules.

    With no PATH, validate every stack of the project in the current directory (see --project)."""
    from cmqinfra.run import unit_validate

    if paths and not stacks_of and not selection.given and not _in_a_project(paths):
        unit_validate.validate_paths(paths, fmt)  # an editor's or a hook's call: nothing else loads
        return
    from cmqinfra.run import session

    if not paths or stacks_of:
        with session.user_errors(False, [], fmt, command="validate"):
            if stacks_of and not paths:
                return  # the hook was given no files
            unit_validate.validate(selection, fmt, paths if stacks_of else ())
        return
    from cmqinfra.commands import projectmode

    with session.user_errors(False, []):
        projectmode.refuse_with_paths(selection)
        session.refuse_project_member(paths)  # a project's stack is validated with its environment
    unit_validate.validate_paths(paths, fmt)


def _in_a_project(paths: tuple[str, ...]) -> bool:
    from cmqinfra.manifest.projectfile import any_under_a_project

    return any_under_a_project(paths)
