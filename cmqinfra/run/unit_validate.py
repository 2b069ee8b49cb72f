"""validate over a run's units: a PATH's one unit or a project's many, each checked (schema,
semantic rules, refactoring entries against the other units, policies) and drawn by one renderer
per format.

A PATH's validate is what an editor or a pre-commit hook runs on every save: its unit is loaded
by the manifest layer alone, and the project layer and the policy rules are imported only when a
project file sits above the PATH or the operator names a policy file."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import click

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.render import escape

if TYPE_CHECKING:
    from cmqinfra.manifest.loader import LoadResult
    from cmqinfra.model import Stack
    from cmqinfra.selection import Selection

# The operator's policy file variable, spelt here (policy/config.py owns it, and imports the
# policy rules; tests/test_startup.py holds them equal) so that a stack outside any project pays
# nothing for policies.
OPERATOR_POLICIES = "CMQINFRA_POLICIES"


@dataclass(frozen=True)
class CheckedUnit:
    """One unit's verdict: its stack when valid, every problem found either way."""

    key: str  # STACK, or STACK[ENV] in a project
    stack_name: str | None
    environment: str | None
    stack: Stack | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return self.stack is not None

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity.value == "error")


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# ------------------------------------------------------------------ checking


def validate_paths(paths: Sequence[str], fmt: str) -> None:
    """A PATH's one unit (a stack outside any project: ``refuse_project_member`` comes first)."""
    from cmqinfra.manifest import load_stack

    result = load_stack(list(paths))
    if result.stack is not None and _policies_may_apply(paths):
        result = _with_policies(result, paths)
    stack = result.stack
    if stack is not None:
        name: str | None = stack.name
    else:  # an invalid unit is still the stack its `stack:` line names, when it names one
        from cmqinfra.manifest.peek import peek

        name = peek(paths).stack
    render([CheckedUnit(name or str(paths[0]), name, None, stack, tuple(result.diagnostics))], fmt)


def validate(selection: Selection, fmt: str, stacks_of: Sequence[str] = ()) -> None:
    """The selected units of a project (or, with ``stacks_of``, those the changed files belong to)."""
    from cmqinfra.project import policies
    from cmqinfra.run.unit_changes import select_changed
    from cmqinfra.run.unit_selection import cross_checked, load_selection, resolve_units, units_of_files

    project, units = load_selection(selection)
    if stacks_of:
        units = units_of_files(project, units, stacks_of)
    resolved = select_changed(project, resolve_units(project, units), selection.changed_since)
    resolved = cross_checked(project, resolved)
    resolved = [policies.checked(r) for r in resolved]  # the rules the manifests alone decide
    render([CheckedUnit(r.unit.key, r.unit.stack_name, r.unit.environment, r.stack if r.ok else None,
                        tuple(r.diagnostics)) for r in resolved], fmt)


def _policies_may_apply(paths: Sequence[str]) -> bool:
    """Whether the operator names a policy file or a project file sits above a PATH."""
    from cmqinfra.manifest.projectfile import any_under_a_project

    return bool(os.environ.get(OPERATOR_POLICIES)) or any_under_a_project(paths)


def _with_policies(result: LoadResult, paths: Sequence[str]) -> LoadResult:
    """The policies of the project around PATH (and the operator's), checked: an error makes the
    stack invalid, as a manifest error does."""
    from cmqinfra.policy.check import check_stack
    from cmqinfra.project.policies import for_paths

    assert result.stack is not None
    stack, problems = for_paths(result.stack, paths)
    found = problems + check_stack(stack)
    if not found:
        return result
    failed = any(d.severity.value == "error" for d in found)
    return replace(result, stack=None if failed else stack, diagnostics=[*result.diagnostics, *found])


# ------------------------------------------------------------------ the one renderer


def render(checked: Sequence[CheckedUnit], fmt: str) -> None:
    """Every unit's verdict in ``fmt``; exit 1 when any is invalid. A PATH's one unit (no
    environment) is drawn as itself: json is `terraform validate -json`'s document, markdown a
    heading naming the stack; a project's many add the per-unit list around the same parts."""
    single = len(checked) == 1 and checked[0].environment is None
    failed = [c for c in checked if not c.ok]
    if fmt == "json":
        click.echo(json.dumps(_json(checked, single), indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        click.echo(_markdown(checked, single), nl=False)
    else:
        _text(checked, single)
    if failed:
        raise click.exceptions.Exit(1)


def _summary(c: CheckedUnit, key: str) -> str:
    assert c.stack is not None
    s = c.stack
    return (f"{key}: {plural(len(s.queues), 'queue')}, {plural(len(s.topics), 'topic')}, "
            f"{plural(len(s.subscriptions), 'subscription')}")


def _json(checked: Sequence[CheckedUnit], single: bool) -> dict[str, object]:
    from cmqinfra.render.diagnostics import FORMAT_VERSION, diagnostics_to_json

    if single:
        (c,) = checked
        return diagnostics_to_json(c.diagnostics, stack=c.stack_name)
    return {"format_version": FORMAT_VERSION, "valid": all(c.ok for c in checked),
            "units": [diagnostics_to_json(c.diagnostics, stack=c.stack_name, environment=c.environment)
                      for c in checked]}


def _markdown(checked: Sequence[CheckedUnit], single: bool) -> str:
    from cmqinfra.render.diagnostics import diagnostics_markdown, failure_markdown

    if single:
        (c,) = checked
        if not c.ok:
            message = f"{plural(c.errors, 'error')} in the manifest"
            return failure_markdown("cmqinfra validate failed", message, c.diagnostics)
        lines = [f"### :white_check_mark: cmqinfra validate: {_summary(c, escape.text(c.key))}", ""]
        return "\n".join(lines + diagnostics_markdown(c.diagnostics)) + "\n"
    from cmqinfra.render.policy import policy_lines

    failed = sum(1 for c in checked if not c.ok)
    mark = ":x:" if failed else ":white_check_mark:"
    lines = [f"### {mark} cmqinfra validate: {len(checked) - failed} of {len(checked)} stack(s) valid", ""]
    lines += policy_lines([(c.key, c.diagnostics) for c in checked])
    for c in checked:
        lines.append(f"- {_summary(c, escape.code(c.key))}" if c.ok
                     else f"- **{escape.code(c.key)}: {plural(c.errors, 'error')}**")
        lines += ["  " + line for line in diagnostics_markdown(c.diagnostics)]
    return "\n".join(lines) + "\n"


def _text(checked: Sequence[CheckedUnit], single: bool) -> None:
    from cmqinfra.render.diagnostics import distinct_lines

    for line in distinct_lines([c.diagnostics for c in checked]):
        click.echo(line, err=True)
    for c in checked:
        if c.ok:
            click.echo(escape.terminal(f"ok: {_summary(c, c.key)}"))
        elif not single:  # one unit's errors are the whole output already
            click.echo(escape.terminal(f"failed: {c.key}: {plural(c.errors, 'error')}"), err=True)
