"""The plan as text, the way Terraform shows one."""

from __future__ import annotations

import json
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
