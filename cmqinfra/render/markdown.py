"""A plan as a pull-request comment (GitHub / GitLab flavoured markdown).

Layout: heading (stack, region), the summary line, a ``> [!CAUTION]`` block naming every resource
deleted or replaced, and the full text plan in a collapsible ``diff`` block. GitHub refuses
comments over 65,536 characters, so when the whole comment would not fit the diff body is cut
(never the heading, summary or warnings) and a note says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cmqinfra.plan.values import Action, Plan, ResourceChange
from cmqinfra.render import escape
from cmqinfra.render.text import render_text, source_phrase
from cmqinfra.render.text import summary_line as text_summary_line

GITHUB_COMMENT_LIMIT = 65_536
OWNERSHIP_SHOWN = 20

# "  -/+ queue/x", "  + queue/y": the action marker after the indentation. The diff lexer only
# colours a marker in column 0, so it is moved there (the indentation follows it).
_MARKER = re.compile(r"^(\s+)(-/\+|[-+~])(\s)")


@dataclass(frozen=True)
class Destructive:
    """A resource the plan deletes or replaces, and why (shown in the warning)."""

    address: str
    action: str  # "delete" | "replace"
    reason: str | None = None


@dataclass(frozen=True)
class Comment:
    """Everything a comment shows, already decided by the plan."""

    stack: str
    region: str | None
    summary: str
    destructive: tuple[Destructive, ...]
    diff: str  # the plain text plan (no colour)
    errors: tuple[str, ...] = ()  # safety refusals, rendered: the plan cannot be applied
    warnings: tuple[str, ...] = ()
    region_source: str | None = None
    data_loss: tuple[str, ...] = ()  # one line per queue losing messages, with its counts
    targets: tuple[str, ...] = ()  # a partial plan (--target): only these and what they need
    ownership: tuple[str, ...] = ()  # moves, releases and imports, worded: nothing is deleted


def diff_lines(text: str) -> list[str]:
    return [_MARKER.sub(r"\2\1\3", line) for line in text.splitlines()]


def _fence(body: str) -> str:
    return escape.fence(body)


def _inline(text: str) -> str:
    """A diagnostic as one markdown-safe line: a code span, whatever backticks it holds."""
    return escape.code(text)


def _head(comment: Comment, budget: int) -> list[str]:
    """Heading, summary and warnings. Warnings are only ever cut when they alone would take
    more than ``budget`` characters (thousands of deletions): then the rest are counted."""
    where = f" in {escape.code(comment.region)}" if comment.region else ""
    source = f" (region from {source_phrase(comment.region_source)})" if comment.region_source else ""
    if comment.errors:
        lines = [f"### :x: cmqinfra plan for stack {escape.code(comment.stack)}{where} failed{source}", ""]
        lines.append(f"**The plan was refused: {len(comment.errors)} error(s); nothing can be applied.**")
        lines.append("")
        lines.extend(f"- {_inline(error)}" for error in comment.errors)
        lines.append("")
        if comment.summary != NO_CHANGES:
            lines.extend([f"Had it been accepted: {escape.code(comment.summary)}", ""])
    else:
        lines = [f"### cmqinfra plan for stack {escape.code(comment.stack)}{where}{source}", ""]
        lines += [f"**{escape.terminal(comment.summary)}**", ""]
    if comment.targets:
        lines.append("> [!WARNING]")
        shown = ", ".join(escape.code(t) for t in comment.targets)
        lines.append(f"> **Partial plan** (`--target`): only {shown} and what they need were read and "
                     "planned; other pending changes are not shown.")
        lines.append("")
    if comment.warnings:
        lines.append("> [!NOTE]")
        lines.extend(f"> - {_inline(warning)}" for warning in comment.warnings)
        lines.append("")
    if comment.ownership:
        lines.append("> [!NOTE]")
        lines.append("> Ownership changes (nothing is deleted or re-created):")
        # A renamed stack moves every resource: the list is a summary, the diff has them all.
        lines.extend(f"> - {item}" for item in comment.ownership[:OWNERSHIP_SHOWN])  # escaped below
        if len(comment.ownership) > OWNERSHIP_SHOWN:
            lines.append(f"> - ... and {len(comment.ownership) - OWNERSHIP_SHOWN:,} more")
        lines.append("")
    if comment.destructive:
        lines.append("> [!CAUTION]")
        deleted = sum(1 for d in comment.destructive if d.action == "delete")
        replaced = len(comment.destructive) - deleted
        queues = any(d.address.startswith("queue/") for d in comment.destructive)
        loss = "; a deleted or replaced queue loses its messages" if queues else ""
        lines.append(f"> This plan **deletes {deleted}** and **replaces {replaced}** resource(s){loss}:")
        for item in comment.data_loss:
            lines.append(f"> - **data loss**: {_inline(item)}")
        used = sum(len(line) + 1 for line in lines)
        for index, item in enumerate(comment.destructive):
            verb = "deleted" if item.action == "delete" else "replaced"
            why = f" ({escape.text(item.reason)})" if item.reason else ""
            line = f"> - {escape.code(item.address)} will be **{verb}**{why}"
            if used + len(line) + 1 > budget:
                lines.append(f"> - ... and {len(comment.destructive) - index:,} more")
                break
            lines.append(line)
            used += len(line) + 1
        lines.append("")
    return lines


def compose(comment: Comment, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    head = "\n".join(_head(comment, budget=limit // 2))
    body_lines = diff_lines(comment.diff)
    fence = _fence(comment.diff)
    open_block = f"<details><summary>Show the full plan</summary>\n\n{fence}diff\n"
    close_block = f"{fence}\n\n</details>\n"
    full = head + "\n" + open_block + "".join(line + "\n" for line in body_lines) + close_block
    if len(full) <= limit:
        return full
    # Keep whole lines while they fit beside the head, the wrapper and the truncation note.
    total = len(body_lines)
    note_template = (
        "\n> [!NOTE]\n> The plan was shortened to stay under GitHub's {limit:,}-character comment limit: "
        "{shown:,} of {total:,} lines are shown. The job log, or `cmqinfra plan` run locally, has the rest.\n"
    )
    cut_marker = "... (cut: {rest:,} more lines)\n"
    worst_note = note_template.format(limit=limit, shown=total, total=total)
    worst_cut = cut_marker.format(rest=total)
    budget = limit - len(head) - 1 - len(open_block) - len(close_block) - len(worst_note) - len(worst_cut)
    kept: list[str] = []
    used = 0
    for line in body_lines:
        if used + len(line) + 1 > budget:
            break
        kept.append(line + "\n")
        used += len(line) + 1
    shown = len(kept)
    note = note_template.format(limit=limit, shown=shown, total=total)
    cut = cut_marker.format(rest=total - shown)
    return head + "\n" + open_block + "".join(kept) + cut + close_block + note


NO_CHANGES = "No changes. Live state matches the manifest."


def summary_line(plan: Plan) -> str:
    """The text renderer's summary line, or its no-changes line: one wording everywhere."""
    if not plan.has_changes and plan.partial:
        return "No changes to the targeted resources."
    if not plan.has_changes:
        return NO_CHANGES
    return text_summary_line(plan)


def comment_for(plan: Plan, diff: str) -> Comment:
    destructive = tuple(
        Destructive(
            address=c.address,
            action="delete" if c.action is Action.DELETE else "replace",
            reason=", ".join(f"{p} forces replacement" for p in c.replace_paths) or None,
        )
        for c in plan.changes
        if c.action in (Action.DELETE, Action.REPLACE)
    )
    return Comment(
        stack=plan.stack.name,
        region=plan.region,
        summary=summary_line(plan),
        destructive=destructive,
        diff=diff,
        errors=tuple(d.render() for d in plan.errors),
        warnings=tuple(d.render() for d in plan.warnings),
        region_source=plan.region_source,
        data_loss=tuple(
            f"{d.describe()} ({'approved in this plan' if d.approved else 'not approved'})"
            for d in plan.data_loss
        ),
        targets=plan.targets,
        ownership=tuple(_ownership(c) for c in plan.changes if c.action in _OWNERSHIP),
    )


_OWNERSHIP = (Action.MOVE, Action.MOVE_OUT, Action.RELEASE, Action.IMPORT)


def _ownership(change: ResourceChange) -> str:
    if change.action is Action.MOVE:
        return f"{escape.code(change.address)} moves in from stack {escape.code(change.moved_from)}"
    if change.action is Action.MOVE_OUT:
        return f"{escape.code(change.address)} moves to stack {escape.code(change.moved_to)}"
    if change.action is Action.RELEASE:
        return f"{escape.code(change.address)} is released (no longer managed, kept)"
    return f"{escape.code(change.address)} is imported"


def render_markdown(plan: Plan, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """The pull-request comment for ``plan``; the diff is the text renderer's, without colour."""
    return compose(comment_for(plan, render_text(plan, colour=False)), limit)
