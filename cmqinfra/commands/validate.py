"""`cmqinfra validate PATH...`: check manifests, report every problem, exit 0 or 1."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import click

from cmqinfra.commands.selection import Selection, project_options

if TYPE_CHECKING:
    from cmqinfra.manifest.loader import LoadResult


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# The operator's policy file variable, spelt here (policy/config.py owns it, and imports the
# policy rules) so that a stack outside any project pays nothing for policies.
OPERATOR_POLICIES = "CMQINFRA_POLICIES"


def _policies_may_apply(paths: tuple[str, ...]) -> bool:
    """Whether the operator names a policy file or a project file sits above a PATH: without
    either, no policy applies, and the project layer and the policy rules are not imported."""
    from cmqinfra.manifest.projectfile import any_under_a_project

    return bool(os.environ.get(OPERATOR_POLICIES)) or any_under_a_project(paths)


def _with_policies(result: LoadResult, paths: tuple[str, ...]) -> LoadResult:
    """The policies of the project around PATH (and the operator's), checked: an error makes
    the stack invalid, as a manifest error does."""
    if not _policies_may_apply(paths):
        return result
    from dataclasses import replace

    from cmqinfra.policy.check import check_stack
    from cmqinfra.project.policies import for_paths

    assert result.stack is not None
    stack, problems = for_paths(result.stack, paths)
    found = problems + check_stack(stack)
    if not found:
        return result
    failed = any(d.severity.value == "error" for d in found)
    return replace(result, stack=None if failed else stack, diagnostics=[*result.diagnostics, *found])


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
    # Imported here, not above: with manifest PATHs (an editor's or a hook's call on every save)
    # validate needs neither the project layer nor the plan/apply session.
    from cmqinfra.manifest.projectfile import any_under_a_project

    in_project = bool(paths) and any_under_a_project(paths)
    if not paths or stacks_of or selection.given or in_project:
        from cmqinfra.run import session, unit_validate
    if not paths or stacks_of:
        with session.user_errors(False, [], fmt, command="validate"):
            if stacks_of and not paths:
                return  # the hook was given no files
            unit_validate.validate(selection, fmt, paths if stacks_of else ())
        return
    if selection.given or in_project:
        from cmqinfra.commands import projectmode

        with session.user_errors(False, []):
            projectmode.refuse_with_paths(selection)
            session.refuse_project_member(paths)  # a project's stack is validated with its environment
    from cmqinfra.manifest import load_stack
    from cmqinfra.render.diagnostics import diagnostics_markdown, diagnostics_to_json, failure_markdown

    result = load_stack(list(paths))
    if result.stack is not None and _policies_may_apply(paths):
        result = _with_policies(result, paths)
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
