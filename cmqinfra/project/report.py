"""The views of a project run: a text summary table, JSON, and ONE pull-request comment.

The comment has a summary table (stack, environment, region, add / change / destroy, status)
and a collapsible section per unit holding the single-stack comment (cmqinfra/render/markdown.py).
It stays within GitHub's 65,536-character limit: small sections are kept whole, and the budget
left is shared among the large ones, each shortened by the single-stack rules (heading, summary
and warnings kept; the diff cut, with a note). A section that cannot fit even so says so in one line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cmqinfra.project.runner import UnitPlan
from cmqinfra.render import escape
from cmqinfra.render.json import plan_to_json
from cmqinfra.render.markdown import GITHUB_COMMENT_LIMIT, comment_for, compose
from cmqinfra.render.text import render_text

PROJECT_JSON_FORMAT = "1.0"
_MIN_SECTION = 600  # below this a shortened plan says nothing useful: one line instead


def counts(item: UnitPlan) -> tuple[int, int, int] | None:
    if item.plan is None:
        return None
    s = item.plan.summary
    return s.add, s.change, s.destroy


def summary_rows(items: Sequence[UnitPlan]) -> list[tuple[str, str, str, str, str, str, str]]:
    """Raw cells: each view escapes them for its own context."""
    rows = []
    for item in items:
        n = counts(item)
        add, change, destroy = (str(x) for x in n) if n else ("-", "-", "-")
        rows.append((item.unit.stack_name, item.unit.environment or "-", item.region or "-",
                     add, change, destroy, item.status))
    return rows


def render_table(items: Sequence[UnitPlan]) -> str:
    """The summary as aligned text columns (the end of the text output)."""
    header = ("STACK", "ENVIRONMENT", "REGION", "ADD", "CHANGE", "DESTROY", "STATUS")
    rows = [header, *(tuple(escape.terminal(c) for c in row) for row in summary_rows(items))]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.rjust(w) if 3 <= i <= 5 else c.ljust(w) for i, (c, w) in pairs]
        lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def run_summary(items: Sequence[UnitPlan]) -> str:
    changed = sum(1 for i in items if i.status == "changes")
    failed = sum(1 for i in items if i.status in ("failed", "refused"))
    words = [f"{len(items)} stack(s)", f"{changed} with changes"]
    if failed:
        words.append(f"{failed} failed")
    return ", ".join(words)


def unit_json(item: UnitPlan) -> dict[str, Any]:
    return {
        "stack": item.unit.stack_name,
        "environment": item.unit.environment,
        "region": item.region,
        "target": item.target.describe() if item.target else None,
        "status": item.status,
        "error": item.error,
        "diagnostics": [d.to_json() for d in item.diagnostics],
        "plan": plan_to_json(item.plan) if item.plan is not None else None,
    }


def project_json(items: Sequence[UnitPlan]) -> dict[str, Any]:
    return {"format_version": PROJECT_JSON_FORMAT, "units": [unit_json(i) for i in items]}


def _cell(text: str) -> str:
    return escape.cell(text) if text != "-" else "-"


def _table_markdown(items: Sequence[UnitPlan], budget: int) -> list[str]:
    lines = ["| stack | environment | region | add | change | destroy | status |",
             "| --- | --- | --- | ---: | ---: | ---: | --- |"]
    rows = summary_rows(items)
    used = sum(len(line) + 1 for line in lines)
    for index, row in enumerate(rows):
        stack, env, region, add, change, destroy, status = row
        mark = {"failed": "**failed**", "refused": "**refused**"}.get(status, status)
        line = f"| {_cell(stack)} | {_cell(env)} | {_cell(region)} | {add} | {change} | {destroy} | {mark} |"
        if used + len(line) + 1 > budget:
            lines.append(f"| ... and {len(rows) - index:,} more | | | | | | |")
            break
        lines.append(line)
        used += len(line) + 1
    return lines


def _failure_body(item: UnitPlan) -> str:
    status = escape.terminal(item.status)
    lines = [f"**{status}**: {escape.code(item.error)}" if item.error else f"**{status}**"]
    if item.diagnostics:
        text = "\n".join(d.render() for d in item.diagnostics)  # one line each, controls escaped
        fence = escape.fence(text)
        lines += ["", f"{fence}text", text, fence]
    return "\n".join(lines) + "\n"


def _section(item: UnitPlan, limit: int | None) -> str:
    if item.plan is not None and item.error is None:
        from cmqinfra.render.markdown import summary_line

        title = summary_line(item.plan)
        comment = comment_for(item.plan, render_text(item.plan, colour=False))
        body = compose(comment, limit) if limit is not None else compose(comment, 10**12)
    else:
        title = f"{item.status}"
        body = _failure_body(item)
    summary = f"<code>{escape.html(item.unit.key)}</code>: {escape.html(title)}"
    return f"<details><summary>{summary}</summary>\n\n{body}\n</details>\n\n"


def _stub(item: UnitPlan) -> str:
    n = counts(item)
    what = f"{n[0]} to add, {n[1]} to change, {n[2]} to destroy" if n else item.status
    return (f"<details><summary><code>{escape.html(item.unit.key)}</code>: {escape.html(what)}</summary>\n\n"
            "The plan of this stack is too large to show here; the job log has it.\n\n</details>\n\n")


def render_project_markdown(items: Sequence[UnitPlan], note: str | None = None,
                            limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """One pull-request comment for the whole run, at most ``limit`` characters."""
    head_lines = [f"## cmqinfra plan: {run_summary(items)}", ""]
    if note:
        head_lines += [note, ""]
    if not items:
        return "\n".join(head_lines) + "\nNo stack is affected: nothing to plan.\n"
    head_lines += _table_markdown(items, budget=limit // 3)
    head = "\n".join(head_lines) + "\n\n"
    full = [_section(item, None) for item in items]
    if len(head) + sum(map(len, full)) <= limit:
        return head + "".join(full)
    # Fair shares: the smallest sections whole while they fit their share, the rest shortened.
    budget = limit - len(head)
    chosen: dict[int, str] = {}
    order = sorted(range(len(items)), key=lambda i: len(full[i]))
    for rank, index in enumerate(order):
        share = budget // (len(order) - rank)
        if len(full[index]) <= share:
            text = full[index]
        elif share >= _MIN_SECTION:
            text = _section(items[index], share - 200)
            if len(text) > share:
                text = _stub(items[index])
        else:
            text = _stub(items[index])
        chosen[index] = text
        budget -= len(text)
    sections = [chosen[i] for i in range(len(items))]
    out = head + "".join(sections)
    # Many stacks with huge warnings can still overflow: the last sections give way, counted.
    while len(out) > limit and sections:
        sections.pop()
        rest = len(items) - len(sections)
        tail = f"... and {rest:,} more stack(s): the job log has their plans.\n"
        out = head + "".join(sections) + tail
    return out[:limit]
