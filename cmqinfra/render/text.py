"""The plan as text, the way Terraform shows one."""

from __future__ import annotations

import json
from typing import Any

import click

from cmqinfra.plan.shape import to_data
from cmqinfra.plan.values import Action, Plan, ResourceChange

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
        moved_from=change.moved_from,
        moved_to=change.moved_to,
        id=f" (id {change.import_id})" if change.import_id else "",
    )


def partial_warning(plan: Plan) -> list[str]:
    """Said loudly, as Terraform does: a targeted plan is not the whole picture."""
    if not plan.partial:
        return []
    return [
        f"Warning: this is a PARTIAL plan: only {', '.join(plan.targets)} and what they need.",
        "  Other changes the manifest asks for were not read or planned, and may be pending. Use",
        "  --target for exceptional cases (recovering from an error, a hot fix), then run a full plan.",
        "",
    ]


def _value(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _title(change: ResourceChange) -> str:
    kind, _, rest = change.address.partition("/")
    return f'{kind} "{rest}"'


def _body(change: ResourceChange) -> list[str]:
    if change.action is Action.CREATE and change.after is not None:
        data = to_data(change.after, managed_only=True)
        return [
            f"+ {k} = {_value(v)}"
            for k, v in data.items()
            if k not in ("name", "topic") and v not in (None, {}, [], False)
        ]
    if change.action in (Action.DELETE, Action.MOVE_OUT, Action.RELEASE):
        return []
    lines = []
    for a in change.attribute_changes:
        sign = "+" if a.before is None else "-" if a.after is None else "~"
        note = "  # forces replacement" if a.forces_replacement else ""
        if sign == "+":
            lines.append(f"+ {a.path} = {_value(a.after)}{note}")
        elif sign == "-":
            lines.append(f"- {a.path} = {_value(a.before)} -> null{note}")
        else:
            lines.append(f"~ {a.path} = {_value(a.before)} -> {_value(a.after)}{note}")
    return lines


def render_change(change: ResourceChange, colour: bool) -> list[str]:
    style = _COLOURS[change.action] if colour else None

    def paint(text: str) -> str:
        return click.style(text, fg=style) if style else text

    because = f" (because {'; '.join(change.reasons)})" if change.reasons else ""
    out = [f"  # {change.address} {_verb(change)}{because}"]
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


def render_text(plan: Plan, colour: bool = False) -> str:
    lines: list[str] = []
    for line in partial_warning(plan):
        lines.append(click.style(line, fg="yellow", bold=True) if colour and line else line)
    for w in plan.warnings:
        lines.append(w.render())
    if not plan.has_changes and plan.partial:
        lines.append("No changes to the targeted resources. Live state matches the manifest for them.")
    elif not plan.has_changes:
        lines.append("No changes. Live state matches the manifest.")
    else:
        region = f", region {plan.region}" if plan.region else ""
        lines.append(f"cmqinfra will perform the following actions (stack {plan.stack.name}{region}):")
        lines.append("")
        for change in plan.changes:
            if change.is_change:
                lines.extend(render_change(change, colour))
                lines.append("")
        lines.append(summary_line(plan))
    for e in plan.errors:
        line = e.render()
        lines.append(click.style(line, fg="red") if colour else line)
    return "\n".join(lines) + "\n"
