"""Plans as text, the way Terraform shows one: one unit's plan, or a run of many units (one
heading each, then the summary and the table); a PATH's stack is the run of one."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from cmqinfra.plan.shape import to_data
from cmqinfra.plan.values import Action, Plan, ResourceChange
from cmqinfra.render.escape import terminal

_COLOURS = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.ADOPT: "cyan",
    Action.REPLACE: "red",
    Action.DELETE: "red",
    Action.MOVE: "cyan",
    Action.MOVE_OUT: "cyan",
    Action.RELEASE: "magenta",
    Action.IMPORT: "cyan",
    Action.NO_OP: None,
}

_VERBS = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.ADOPT: "will be adopted: tagged as owned by this stack and converged",
    Action.REPLACE: "must be replaced",
    Action.DELETE: "will be destroyed",
    Action.MOVE: "moves in from stack {moved_from}: ownership changes hands, not deleted or re-created",
    Action.MOVE_OUT: "moves to stack {moved_to}: kept as it is and not deleted; stack {moved_to} takes it",
    Action.RELEASE: "will no longer be managed: its cmqinfra tags are removed, the resource is kept",
    Action.IMPORT: "will be imported{id}: tagged as owned by this stack and converged",
}


def _verb(change: ResourceChange) -> str:
    return _VERBS[change.action].format(
        moved_from=terminal(change.moved_from),
        moved_to=terminal(change.moved_to),
        id=f" (id {terminal(change.import_id)})" if change.import_id else "",
    )


def partial_warning(plan: Plan) -> list[str]:
    """Said loudly, as Terraform does: a targeted plan is not the whole picture."""
    if not plan.partial:
        return []
    return [
        f"Warning: this is a PARTIAL plan: only {terminal(', '.join(plan.targets))} and what they need.",
        "  Other changes the manifest asks for were not read or planned, and may be pending. Use",
        "  --target for exceptional cases (recovering from an error, a hot fix), then run a full plan.",
        "",
    ]


def _value(value: Any) -> str:
    # ensure_ascii: every control or format character of a value is a \uXXXX escape.
    return json.dumps(value, sort_keys=True, ensure_ascii=True)


OUTSIDE = "changed outside cmqinfra"


def _title(change: ResourceChange) -> str:
    kind, _, rest = terminal(change.address).partition("/")
    return f'{kind} "{rest}"'


def _body(change: ResourceChange) -> list[str]:
    if change.action is Action.CREATE and change.after is not None:
        data = to_data(change.after, managed_only=True)
        return [
            f"+ {terminal(k)} = {_value(v)}"
            for k, v in data.items()
            if k not in ("name", "topic") and v not in (None, {}, [], False)
        ]
    if change.action in (Action.DELETE, Action.MOVE_OUT, Action.RELEASE):
        return []
    lines = []
    for a in change.attribute_changes:
        sign = "+" if a.before is None else "-" if a.after is None else "~"
        notes = [n for n, on in (("forces replacement", a.forces_replacement),
                                 (OUTSIDE, a.outside)) if on]
        note = f"  # {'; '.join(notes)}" if notes else ""
        path = terminal(a.path)
        if sign == "+":
            lines.append(f"+ {path} = {_value(a.after)}{note}")
        elif sign == "-":
            lines.append(f"- {path} = {_value(a.before)} -> null{note}")
        else:
            lines.append(f"~ {path} = {_value(a.before)} -> {_value(a.after)}{note}")
    return lines


def render_change(change: ResourceChange, colour: bool) -> list[str]:
    style = _COLOURS[change.action] if colour else None

    def paint(text: str) -> str:
        return click.style(text, fg=style) if style else text

    reasons = change.reasons
    if change.deleted_outside:
        reasons = (*reasons, "it was deleted outside cmqinfra")
    because = f" (because {terminal('; '.join(reasons))})" if reasons else ""
    out = [f"  # {terminal(change.address)} {_verb(change)}{because}"]
    symbol = change.action.symbol
    body = _body(change)
    head = f"{symbol:>3} {_title(change)}"
    if not body:
        out.append(paint(head))
        return out
    out.append(paint(head + " {"))
    out.extend(paint(f"      {line}") for line in body)
    out.append("    }")
    return out


def summary_line(plan: Plan) -> str:
    s = plan.summary
    extra = "".join(
        f", {n} to {word}"
        for n, word in ((s.adopt, "adopt"), (s.move, "move"), (s.release, "release"), (s.import_, "import"))
        if n
    )
    partial = " (partial: --target)" if plan.partial else ""
    return f"Plan: {s.add} to add, {s.change} to change, {s.destroy} to destroy{extra}.{partial}"


def source_phrase(source: str | None) -> str:
    if source in ("manifest", "saved plan"):
        return f"the {source}"
    return terminal(source) if source else "nowhere"


def where(plan: Plan) -> str:
    """``stack orders, region ap-guangzhou from the manifest``: every header says it."""
    region = terminal(plan.region) if plan.region else "none"
    source = f" from {source_phrase(plan.region_source)}" if plan.region_source else ""
    return f"stack {terminal(plan.stack.name)}, region {region}{source}"


def data_loss_lines(plan: Plan) -> list[str]:
    out = []
    for loss in plan.data_loss:
        state = "approved" if loss.approved else "NOT approved"
        out.append(f"CAUTION: {terminal(loss.describe())} ({state})")
    return out


def _errors(plan: Plan, colour: bool) -> list[str]:
    if not plan.errors:
        return []
    lines = [f"This plan has {len(plan.errors)} error(s) and cannot be applied:"]
    for e in plan.errors:
        line = e.render()
        lines.append(click.style(line, fg="red") if colour else line)
    return lines


def _opening(plan: Plan) -> list[str]:
    if plan.has_changes:
        return [f"cmqinfra will perform the following actions ({where(plan)}):", ""]
    if plan.errors:
        return [f"cmqinfra planned no changes ({where(plan)}), but the plan was refused:"]
    if plan.partial:
        return [f"No changes to the targeted resources. Live state matches the manifest ({where(plan)})."]
    return [f"No changes. Live state matches the manifest ({where(plan)})."]


def render_text(plan: Plan, colour: bool = False) -> str:
    lines: list[str] = []
    for line in partial_warning(plan):
        lines.append(click.style(line, fg="yellow", bold=True) if colour and line else line)
    lines.extend(w.render() for w in plan.warnings)
    lines.extend(_opening(plan))
    if plan.has_changes:
        for change in plan.changes:
            if change.is_change:
                lines.extend(render_change(change, colour))
                lines.append("")
        lines.append(summary_line(plan))
    lines.extend(data_loss_lines(plan))
    lines.extend(_errors(plan, colour))
    return "\n".join(lines) + "\n"


def render_brief(plan: Plan, colour: bool = False) -> str:
    """A long plan before approval: the summary and what it destroys; the rest on request."""
    lines: list[str] = [w.render() for w in plan.warnings]
    lines.extend(_opening(plan))
    destructive = [c for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE)]
    for change in destructive:
        lines.extend(render_change(change, colour))
        lines.append("")
    rest = sum(1 for c in plan.changes if c.is_change) - len(destructive)
    lines.append(
        f"... and {rest} more change(s) that destroy nothing, not shown: pass --verbose to see the "
        "whole plan, or save it with `plan --out FILE` and read it with `cmqinfra show FILE`."
    )
    lines.append("")
    lines.append(summary_line(plan))
    lines.extend(data_loss_lines(plan))
    lines.extend(_errors(plan, colour))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------ a run of one unit or many


@dataclass(frozen=True)
class TextUnit:
    """One unit of a run as the text view shows it. A PATH's stack is a run of one unit with no
    environment: it is shown as its plan alone, with no heading and no table."""

    key: str  # stack[environment]
    stack: str
    environment: str | None
    region: str | None
    target: str | None  # where it was planned, described
    plan: Plan | None  # None: the unit failed before it had a plan
    status: str  # changes | no changes | refused | failed


def is_single(units: Sequence[TextUnit]) -> bool:
    """The degenerate run: one unit, no environment (a PATH's stack, or a project of one)."""
    return len(units) == 1 and units[0].environment is None


def render_units(units: Sequence[TextUnit], colour: bool = False, brief: bool = False,
                 warnings: Sequence[str] = ()) -> str:
    """Every unit's plan (``brief``: each as ``render_brief``), the run's warnings, and for more than
    the degenerate run a heading per unit, the run's summary and the table."""
    draw = render_brief if brief else render_text
    if is_single(units):
        plan = units[0].plan
        lines = [draw(plan, colour)] if plan is not None else []
        return "".join(lines) + "".join(f"Warning: {w}\n\n" for w in warnings)
    parts: list[str] = []
    for u in units:
        where = f"region {u.region}" if u.region else "no region"
        target = f", {u.target}" if u.target else ""
        parts.append(terminal(f"=== {u.key} ({where}{target})") + "\n")
        if u.plan is not None:
            parts.append(draw(u.plan, colour))
        parts.append("\n")
    parts += [f"Warning: {w}\n\n" for w in warnings]
    parts.append(f"Project: {run_summary(units)}.\n")
    parts.append(render_table(units))
    return "".join(parts)


def run_summary(units: Sequence[TextUnit]) -> str:
    changed = sum(1 for u in units if u.status == "changes")
    failed = sum(1 for u in units if u.status in ("failed", "refused"))
    words = [f"{len(units)} stack(s)", f"{changed} with changes"]
    if failed:
        words.append(f"{failed} failed")
    return ", ".join(words)


def summary_rows(units: Sequence[TextUnit]) -> list[tuple[str, ...]]:
    """Raw cells: each view escapes them for its own context."""
    rows = []
    for u in units:
        s = u.plan.summary if u.plan is not None else None
        add, change, destroy = (str(s.add), str(s.change), str(s.destroy)) if s else ("-", "-", "-")
        rows.append((u.stack, u.environment or "-", u.region or "-", add, change, destroy, u.status))
    return rows


def render_table(units: Sequence[TextUnit]) -> str:
    """The run's summary as aligned text columns (the end of a run of many units)."""
    header = ("STACK", "ENVIRONMENT", "REGION", "ADD", "CHANGE", "DESTROY", "STATUS")
    rows = [header, *(tuple(terminal(c) for c in row) for row in summary_rows(units))]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for row in rows:
        pairs = enumerate(zip(row, widths, strict=True))
        cells = [c.rjust(w) if 3 <= i <= 5 else c.ljust(w) for i, (c, w) in pairs]
        lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"
