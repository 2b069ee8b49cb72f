"""A run's units on the terminal: their diagnostics once each, then every unit's plan as the
one renderer per format draws it (cmqinfra/render/), and the summary."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click

from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.render import escape
from cmqinfra.run import session


def print_diagnostics(resolved: Sequence[ResolvedUnit]) -> None:
    from cmqinfra.render.diagnostics import distinct_lines

    for line in distinct_lines([item.diagnostics for item in resolved]):
        click.echo(line, err=True)


def refusal(items: Sequence[Any], single: bool, consequence: str) -> str | None:
    """Why a run's units cannot go on (``consequence`` says what that means for this command),
    or None when every unit planned cleanly."""
    failed = [i for i in items if not i.ok]
    if not failed:
        return None
    if single:
        return f"the plan has {len(failed[0].plan.errors)} error(s); {consequence}"
    keys = ", ".join(i.unit.key for i in failed)
    return f"{len(failed)} stack(s) failed or were refused: {keys}; {consequence}"


def _unit_errors(items: Sequence[Any], single: bool) -> None:
    """On stderr, each failed unit's error and, in a run of many (whose stdout is long), each
    plan's errors again; one unit's plan errors stand in its plan, as a stack's always did."""
    for item in items:
        if item.plan is not None and item.error is None:
            if single:
                continue
            for d in item.plan.errors:
                click.echo(d.render(), err=True)
        else:
            click.echo(escape.terminal(f"error: {item.unit.key}: {item.error}"), err=True)


def show_all(items: Sequence[Any], fmt: str, note: str | None = None, verbose: bool = True,
              warnings: Sequence[str] = (), root: str | None = None, full_plan: str | None = None,
              resource_types: str = "cmqinfra", single: bool = False) -> None:
    """The run's units in ``fmt``. ``single``: the run of a PATH's stack, one unit, whose JSON is
    its plan alone (the ``terraform show -json`` shape) and whose comment is the one-unit layout;
    in text one unit without environment is always its plan alone (cmqinfra/render/text.py).
    ``verbose=False`` (before an approval or a saved plan's apply): a run of more changes than a
    long plan shows each unit's summary and destructive changes; the whole plan with --verbose or
    `show`."""
    from cmqinfra.run.report import project_json, render_project_markdown

    if single and fmt != "text":
        _show_single(items[0], fmt, root, full_plan, resource_types)
    elif fmt == "json":
        doc = project_json(items)
        if warnings:
            doc["warnings"] = list(warnings)
        if resource_types == "terraform":
            from cmqinfra.render.terraform_types import terraform_project_json

            doc = terraform_project_json(doc)
        click.echo(json.dumps(doc, indent=2))
    elif fmt == "markdown":
        from cmqinfra.run.report import provenance_of, write_full_plan

        # the orphans stand in the comment's CAUTION block; the commit and time only for a plan
        # made now (a saved plan's `show` does not know them)
        made = provenance_of(root) if root is not None else None
        if full_plan:
            write_full_plan(full_plan, render_project_markdown(items, note=note, provenance=made, limit=None,
                                                               project_orphans=warnings))
        click.echo(render_project_markdown(items, note=note, provenance=made, full_plan=full_plan,
                                           project_orphans=warnings), nl=False)
    else:
        from cmqinfra.render import use_colour
        from cmqinfra.render.text import is_single, render_units
        from cmqinfra.run.report import text_unit

        changes = sum(1 for i in items if i.plan is not None for c in i.plan.changes if c.is_change)
        brief = not verbose and changes > session.LONG_PLAN
        units = [text_unit(i) for i in items]
        click.echo(render_units(units, use_colour(sys.stdout), brief, warnings), nl=False)
        _unit_errors(items, is_single(units))


def _show_single(item: Any, fmt: str, root: str | None, full_plan: str | None, resource_types: str) -> None:
    """A PATH's one unit in json or markdown."""
    from cmqinfra.render.json import plan_to_json

    plan = item.plan
    if fmt == "json":
        doc = plan_to_json(plan)
        if resource_types == "terraform":
            from cmqinfra.render.terraform_types import terraform_plan_json

            doc = terraform_plan_json(doc)
        click.echo(json.dumps(doc, indent=2))
        return
    from cmqinfra.render.markdown import render_markdown
    from cmqinfra.run.report import provenance_of, write_full_plan

    made = provenance_of(root) if root is not None else None
    if full_plan:
        write_full_plan(full_plan, render_markdown(plan, None, provenance=made))
    click.echo(render_markdown(plan, provenance=made, full_plan=full_plan), nl=False)
