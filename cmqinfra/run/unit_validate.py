"""validate over a run's units: each resolved, cross-checked and policy-checked, in text, json
or markdown."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import click

from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.render import escape
from cmqinfra.run.unit_changes import select_changed
from cmqinfra.run.unit_selection import cross_checked, load_selection, resolve_units, units_of_files
from cmqinfra.run.unit_view import print_diagnostics
from cmqinfra.selection import Selection


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def validate(selection: Selection, fmt: str, stacks_of: Sequence[str] = ()) -> None:
    from cmqinfra.project import policies
    from cmqinfra.render.diagnostics import FORMAT_VERSION, diagnostics_markdown, diagnostics_to_json
    from cmqinfra.render.policy import policy_lines

    project, units = load_selection(selection)
    if stacks_of:
        units = units_of_files(project, units, stacks_of)
    resolved = select_changed(project, resolve_units(project, units), selection.changed_since)
    resolved = cross_checked(project, resolved)
    resolved = [policies.checked(r) for r in resolved]  # the rules the manifests alone decide
    failed = [r for r in resolved if not r.ok]

    def summary(r: ResolvedUnit, key: Callable[[ResolvedUnit], str] = lambda r: r.unit.key) -> str:
        s = r.stack
        assert s is not None
        return (f"{key(r)}: {plural(len(s.queues), 'queue')}, {plural(len(s.topics), 'topic')}, "
                f"{plural(len(s.subscriptions), 'subscription')}")

    def errors(r: ResolvedUnit) -> int:
        return sum(1 for d in r.diagnostics if d.severity.value == "error")

    if fmt == "json":
        doc = {"format_version": FORMAT_VERSION, "valid": not failed,
               "units": [diagnostics_to_json(r.diagnostics, stack=r.unit.stack_name,
                                             environment=r.unit.environment) for r in resolved]}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    elif fmt == "markdown":
        mark = ":x:" if failed else ":white_check_mark:"
        lines = [f"### {mark} cmqinfra validate: {len(resolved) - len(failed)} of {len(resolved)} "
                 "stack(s) valid", ""]
        lines += policy_lines([(r.unit.key, r.diagnostics) for r in resolved])
        for r in resolved:
            lines.append(f"- {summary(r, lambda r: escape.code(r.unit.key))}" if r.ok
                         else f"- **{escape.code(r.unit.key)}: {plural(errors(r), 'error')}**")
            lines += ["  " + line for line in diagnostics_markdown(r.diagnostics)]
        click.echo("\n".join(lines) + "\n", nl=False)
    else:
        print_diagnostics(resolved)
        for r in resolved:
            if r.ok:
                click.echo(escape.terminal(f"ok: {summary(r)}"))
            else:
                click.echo(escape.terminal(f"failed: {r.unit.key}: {plural(errors(r), 'error')}"), err=True)
    if failed:
        raise click.exceptions.Exit(1)
