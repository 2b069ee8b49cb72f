"""Plans as ONE pull-request comment (GitHub / GitLab flavoured markdown), risk first.

The same layout for one stack, for a project of many units and for ``show``:

1. a heading with the run's summary, the head commit and the time the plan was made;
2. a ``> [!CAUTION]`` block, never collapsed and never cut, listing across all units every
   refusal (with its reason), deletion, replacement, data loss and orphan;
3. a ``> [!WARNING]`` block: changes that set back edits made outside cmqinfra (drift), with
   the attribute, and partial (``--target``) plans;
4. a table (add, change, replace, destroy, move, adopt, release, status: ✗ and the reason for a
   refused unit), units ordered by risk, the units without changes folded into one line;
5. optional sections (``Section``: the plan diagram) under their ``###`` headings, the first
   thing dropped (their note stays);
6. one collapsed ``<details>`` per unit with changes or errors: notes, then the text plan.

GitHub refuses comments over 65,536 characters. When the whole comment does not fit, the
optional sections go first, then the unit sections are shortened (fair shares), then listed by
name only; items 1 and 2 are never cut, and a note names the file that holds the full plan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cmqinfra.plan.values import Action, Plan, ResourceChange
from cmqinfra.render import escape
from cmqinfra.render.budget import COMMENT_BUDGET, GITHUB_COMMENT_LIMIT
from cmqinfra.render.text import render_text, source_phrase
from cmqinfra.render.text import summary_line as text_summary_line

OWNERSHIP_SHOWN = 20
NO_CHANGES = "No changes. Live state matches the manifest."
_MIN_SECTION = 600  # below this a shortened plan says nothing useful: its name only

# "  -/+ queue/x", "  + queue/y": the action marker after the indentation. The diff lexer only
# colours a marker in column 0, so it is moved there (the indentation follows it).
_MARKER = re.compile(r"^(\s+)(-/\+|[-+~])(\s)")


# ------------------------------------------------------------------ values the renderer reads


@dataclass(frozen=True)
class UnitView:
    """One unit as the comment shows it (a stack, or a stack in one environment)."""

    key: str  # "payments[prod]", or the stack's name
    region: str | None
    plan: Plan | None
    status: str  # "changes" | "no changes" | "refused" | "failed"
    error: str | None = None  # why it has no plan (load, connect or read failure)
    diagnostics: tuple[str, ...] = ()  # rendered, for a failed unit
    orphans: tuple[str, ...] = ()  # resources its stack tag claims that no manifest declares

    @property
    def refused(self) -> bool:
        return self.status in ("failed", "refused")


@dataclass(frozen=True)
class Provenance:
    """Which push the comment reflects: the head commit and when the plan was made (UTC)."""

    commit: str | None
    time: str


@dataclass(frozen=True)
class Section:
    """An optional section (e.g. the diagram, cmqinfra/graph/plan_diagram.py): shown after the
    table when the budget allows; else ``dropped`` (a one-line note) stands in its place."""

    title: str
    body: str
    dropped: str = ""


@dataclass(frozen=True)
class Counts:
    add: int = 0
    change: int = 0
    replace: int = 0
    destroy: int = 0
    move: int = 0
    adopt: int = 0
    release: int = 0

    @property
    def cells(self) -> tuple[int, ...]:
        return (self.add, self.change, self.replace, self.destroy, self.move, self.adopt, self.release)


def counts(plan: Plan) -> Counts:
    """Per action, each resource counted once (a replacement is one replace, not add + destroy)."""
    n = dict.fromkeys(("add", "change", "replace", "destroy", "move", "adopt", "release"), 0)
    column = {Action.CREATE: "add", Action.UPDATE: "change", Action.REPLACE: "replace",
              Action.DELETE: "destroy", Action.MOVE: "move", Action.MOVE_OUT: "move",
              Action.ADOPT: "adopt", Action.IMPORT: "adopt", Action.RELEASE: "release"}
    for c in plan.changes:
        if c.action in column:
            n[column[c.action]] += 1
    return Counts(**n)


# ------------------------------------------------------------------ escaping


def code(text: object) -> str:
    """An untrusted string inline (cmqinfra/render/escape.py: a code span, one line)."""
    return escape.code(text)


def cell(text: object) -> str:
    """An untrusted string in a table cell: a code span whose ``|`` cannot end the cell."""
    return escape.cell(text)


def html_code(text: object) -> str:
    """An untrusted string inside raw HTML (``<summary>``): entities, never tags."""
    return f"<code>{escape.html(text)}</code>"


def _fence(body: str) -> str:
    return escape.fence(body)


def diff_lines(text: str) -> list[str]:
    return [_MARKER.sub(r"\2\1\3", line) for line in text.splitlines()]


# ------------------------------------------------------------------ what the blocks list


def summary_line(plan: Plan) -> str:
    """The text renderer's summary line, or its no-changes line: one wording everywhere."""
    if not plan.has_changes and plan.partial:
        return "No changes to the targeted resources."
    if not plan.has_changes:
        return NO_CHANGES
    return text_summary_line(plan)


def _reason(change: ResourceChange) -> str:
    forced = ", ".join(f"{p} forces replacement" for p in change.replace_paths)
    return f" ({code(forced)})" if forced else ""


def caution_lines(units: Sequence[UnitView]) -> list[str]:
    """Every refusal, deletion, replacement, data loss and orphan of every unit, one per line."""
    many = len(units) > 1
    lines: list[str] = []
    for u in units:
        where = f"{code(u.key)}: " if many else ""
        if u.refused:
            for why in _refusal_reasons(u):
                lines.append(f"- ✗ {where}**{u.status}**: {code(why)}")
        if u.plan is None:
            continue
        for loss in u.plan.data_loss:
            state = "approved in this plan" if loss.approved else "NOT approved"
            lines.append(f"- {where}**data loss** ({state}): {code(loss.describe())}")
        for c in u.plan.changes:
            if c.action is Action.DELETE:
                lines.append(f"- {where}{code(c.address)} will be **deleted**")
            elif c.action is Action.REPLACE:
                lines.append(f"- {where}{code(c.address)} will be **replaced**{_reason(c)}")
        for orphan in u.orphans:
            lines.append(f"- {where}**orphan**: {code(orphan)}")
    return lines


def _refusal_reasons(u: UnitView) -> list[str]:
    if u.error is not None:
        return [u.error, *u.diagnostics]
    if u.plan is not None and u.plan.errors:
        return [d.render() for d in u.plan.errors]
    return [u.status]


def warning_lines(units: Sequence[UnitView]) -> list[str]:
    many = len(units) > 1
    lines: list[str] = []
    for u in units:
        if u.plan is None:
            continue
        where = f"{code(u.key)}: " if many else ""
        if u.plan.targets:
            shown = ", ".join(code(t) for t in u.plan.targets)
            lines.append(f"- {where}**Partial plan** (`--target`): only {shown} and what they need were "
                         "read and planned; other pending changes are not shown")
        for c in u.plan.changes:
            if c.deleted_outside:
                lines.append(f"- {where}{code(c.address)} was **deleted outside cmqinfra**: "
                             "this plan creates it again")
            for a in c.attribute_changes:
                if a.outside:
                    lines.append(f"- {where}{code(c.address)} {code(a.path)} **changed outside cmqinfra**: "
                                 f"live {code(_json(a.before))}, this plan sets {code(_json(a.after))}")
    return lines


def _json(value: object) -> str:
    import json

    return "null" if value is None else json.dumps(value, sort_keys=True)


def risk(u: UnitView) -> tuple[int, int, str]:
    """Sort key: refused first, then data loss, then deletions and replacements, then drift,
    then other changes; within a rank, more destructive changes first."""
    if u.refused:
        return (0, 0, u.key)
    assert u.plan is not None
    destructive = sum(1 for c in u.plan.changes if c.action in (Action.DELETE, Action.REPLACE))
    if u.plan.data_loss:
        return (1, -destructive, u.key)
    if destructive or u.orphans:
        return (2, -destructive, u.key)
    if any(c.drifted for c in u.plan.changes):
        return (3, 0, u.key)
    return (4 if u.plan.has_changes else 5, 0, u.key)


def _status_cell(u: UnitView) -> str:
    if u.refused:
        why = _refusal_reasons(u)[0]
        short = why if len(why) <= 160 else why[:157] + "..."
        return f"✗ **{u.status}**: {cell(short)}"
    return u.status


def table_lines(units: Sequence[UnitView], budget: int) -> list[str]:
    lines = ["| stack | region | add | change | replace | destroy | move | adopt | release | status |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    used = sum(len(line) + 1 for line in lines)
    for index, u in enumerate(units):
        cells = [str(n) for n in counts(u.plan).cells] if u.plan is not None else ["-"] * 7
        region = cell(u.region) if u.region else "-"
        line = f"| {cell(u.key)} | {region} | {' | '.join(cells)} | {_status_cell(u)} |"
        if used + len(line) + 1 > budget:
            lines.append(f"| ... and {len(units) - index:,} more | | | | | | | | | |")
            break
        lines.append(line)
        used += len(line) + 1
    return lines


def _heading(units: Sequence[UnitView]) -> list[str]:
    if len(units) != 1:
        return [f"## cmqinfra plan: {run_summary(units)}", ""]
    (u,) = units
    where = f" in {code(u.region)}" if u.region else ""
    source = u.plan.region_source if u.plan is not None else None
    if source:
        where += f" (region from {escape.text(source_phrase(source))})"
    if u.refused:
        return [f"## :x: cmqinfra plan for stack {code(u.key)}{where}: {u.status}, nothing can be applied",
                ""]
    said = f"**{summary_line(u.plan)}**" if u.plan is not None else ""
    return [f"## cmqinfra plan for stack {code(u.key)}{where}", "", said, ""]


def run_summary(units: Sequence[UnitView]) -> str:
    changed = sum(1 for u in units if u.status == "changes")
    refused = sum(1 for u in units if u.refused)
    words = [f"{len(units)} stack(s)", f"{changed} with changes"]
    if refused:
        words.append(f"{refused} refused or failed: nothing can be applied")
    return ", ".join(words)


# ------------------------------------------------------------------ the unit sections


def _unit_notes(plan: Plan) -> list[str]:
    lines: list[str] = []
    if plan.warnings:
        lines.append("> [!NOTE]")
        lines.extend(f"> - {code(w.render())}" for w in plan.warnings)
        lines.append("")
    moves = [c for c in plan.changes if c.action in _OWNERSHIP]
    if moves:
        lines.append("> [!NOTE]")
        lines.append("> Ownership changes (nothing is deleted or re-created):")
        # A renamed stack moves every resource: the list is a summary, the diff has them all.
        lines.extend(f"> - {_ownership(c)}" for c in moves[:OWNERSHIP_SHOWN])
        if len(moves) > OWNERSHIP_SHOWN:
            lines.append(f"> - ... and {len(moves) - OWNERSHIP_SHOWN:,} more")
        lines.append("")
    return lines


_OWNERSHIP = (Action.MOVE, Action.MOVE_OUT, Action.RELEASE, Action.IMPORT)


def _ownership(change: ResourceChange) -> str:
    if change.action is Action.MOVE:
        return f"{code(change.address)} moves in from stack {code(change.moved_from or '')}"
    if change.action is Action.MOVE_OUT:
        return f"{code(change.address)} moves to stack {code(change.moved_to or '')}"
    if change.action is Action.RELEASE:
        return f"{code(change.address)} is released (no longer managed, kept)"
    return f"{code(change.address)} is imported"


def _unit_body(u: UnitView, limit: int | None, full_plan: str | None) -> str:
    """The inside of a unit's ``<details>``: notes, then the text plan (cut to ``limit``)."""
    if u.plan is None:
        lines = [f"**{u.status}**: {code(u.error or u.status)}", ""]
        if u.diagnostics:
            text = "\n".join(u.diagnostics)
            fence = _fence(text)
            lines += [f"{fence}text", text, fence, ""]
        return "\n".join(lines)
    head = "\n".join(_unit_notes(u.plan))
    diff = render_text(u.plan, colour=False)
    body = diff_lines(diff)
    fence = _fence(diff)
    full = head + f"{fence}diff\n" + "".join(line + "\n" for line in body) + f"{fence}\n"
    if limit is None or len(full) <= limit:
        return full
    where = f" The full plan is in {code(full_plan)}." if full_plan else ""
    note = (f"\n_Shortened to stay under GitHub's {GITHUB_COMMENT_LIMIT:,}-character comment limit: "
            "{shown:,} of {total:,} lines shown._" + where + "\n")
    worst = note.format(shown=len(body), total=len(body)) + f"... (cut: {len(body):,} more lines)\n"
    budget = limit - len(head) - 2 * len(fence) - 7 - len(worst)
    kept: list[str] = []
    used = 0
    for line in body:
        if used + len(line) + 1 > budget:
            break
        kept.append(line + "\n")
        used += len(line) + 1
    cut = f"... (cut: {len(body) - len(kept):,} more lines)\n"
    return (head + f"{fence}diff\n" + "".join(kept) + cut + f"{fence}\n"
            + note.format(shown=len(kept), total=len(body)))


def _section(u: UnitView, limit: int | None, full_plan: str | None) -> str:
    title = summary_line(u.plan) if u.plan is not None and not u.refused else f"✗ {u.status}"
    if u.plan is not None and u.refused and u.plan.has_changes:
        title += f" (had it been accepted: {summary_line(u.plan)})"
    body = _unit_body(u, limit, full_plan)
    return (f"<details><summary>{html_code(u.key)}: {escape.html(title)}</summary>\n\n{body}\n"
            "</details>\n\n")


def _name_only(u: UnitView, full_plan: str | None) -> str:
    where = f"the full plan is in {code(full_plan)}" if full_plan else "run `cmqinfra plan` to see it"
    return f"- {code(u.key)}: {_section_title(u)} (not shown: {where})\n"


def _section_title(u: UnitView) -> str:
    return summary_line(u.plan) if u.plan is not None and not u.refused else f"✗ {u.status}"


# ------------------------------------------------------------------ the comment


def render_report(
    units: Sequence[UnitView],
    *,
    note: str | None = None,
    provenance: Provenance | None = None,
    full_plan: str | None = None,
    sections: Sequence[Section] = (),
    limit: int | None = COMMENT_BUDGET,
    project_orphans: Sequence[str] = (),
    policy: Sequence[str] = (),
) -> str:
    """The comment for ``units``, at most ``limit`` characters (None: never cut). ``full_plan``:
    the file the caller writes the uncut comment to; a cut comment names it. ``project_orphans``:
    resources owned by stacks no unit is any more (cmqinfra/project/orphans.py), in CAUTION."""
    ordered = sorted(units, key=risk)
    top = _heading(ordered)
    if provenance is not None:
        commit = f"commit {code(provenance.commit[:12])}, " if provenance.commit else ""
        top += [f"Planned at {commit}{provenance.time}.", ""]
    if note:
        top += [note, ""]
    if not ordered and not project_orphans:
        return "\n".join(top) + "No stack is affected: nothing to plan.\n"
    # An orphan note is cmqinfra's own markdown; its live names are reduced to plain characters
    # where it is written (cmqinfra/project/orphans.py), and it stays one line here.
    caution = caution_lines(ordered) + [f"- **orphan**: {escape.terminal(o)}" for o in project_orphans]
    cap = None if limit is None else limit - min(4_000, limit // 3)
    if cap is not None and sum(len(line) + 3 for line in caution) > cap:
        # Only thousands of deletions get here: the block is counted past what GitHub takes.
        cut = _cut_lines([f"> {c}" for c in caution], cap, full_plan)
        caution = [line[2:] for line in cut if line]
    if caution:
        refused = sum(1 for u in ordered if u.refused)
        lead = (f"**{refused} stack(s) refused or failed: nothing can be applied.** " if refused else "")
        top += ["> [!CAUTION]", f"> {lead}Deletions, replacements, data loss, refusals and orphans:"]
        top += [f"> {line}" for line in caution] + [""]
    else:
        top += ["Nothing is deleted, replaced or refused.", ""]
    top += list(policy)  # the policy block (cmqinfra/render/policy.py) stands beside CAUTION, uncut
    # Summary, CAUTION and policy are never cut; what follows shares what is left.
    head = "\n".join(top) + "\n"
    room = None if limit is None else limit - len(head) - 400
    warnings = warning_lines(ordered)
    middle: list[str] = []
    if warnings:
        middle += ["> [!WARNING]"] + [f"> {line}" for line in warnings] + [""]
    if room is not None and sum(len(line) + 1 for line in middle) > room // 3:
        middle = _cut_lines(middle, room // 3, full_plan)
    shown = [u for u in ordered if u.status != "no changes"]
    quiet = [u for u in ordered if u.status == "no changes"]
    budget = None if room is None else max(room // 3, 400)
    middle += table_lines(shown, budget if budget is not None else 10**12) if shown else []
    if quiet:
        names = ", ".join(code(u.key) for u in quiet)
        line = f"No changes ({len(quiet)}): {names}"
        if budget is not None and len(line) > budget // 2:
            line = f"No changes: {len(quiet):,} stack(s)"
        middle += ["", line]
    body = head + "\n".join(middle) + "\n\n"
    # No HTML comment marks the slot: a comment hides what follows it in a rendered page.
    optional = "".join(f"### {s.title}\n\n{s.body}\n\n" for s in sections)
    full = [_section(u, None, full_plan) for u in shown]
    if limit is None or len(body) + len(optional) + sum(map(len, full)) <= limit:
        return body + optional + "".join(full)
    # Too long: the optional sections go first (their notes stay), then the unit sections share
    # what is left.
    body += "".join(f"{s.dropped.rstrip()}\n\n" for s in sections if s.dropped)
    if len(body) + sum(map(len, full)) <= limit:
        return body + "".join(full)
    return _fit(body, shown, full, limit, full_plan)


def _cut_lines(lines: list[str], budget: int, full_plan: str | None) -> list[str]:
    out: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        if used + len(line) + 1 > budget:
            where = f": the full plan is in {code(full_plan)}" if full_plan else ""
            out.append(f"> - ... and {len(lines) - index - 1:,} more{where}")
            out.append("")
            break
        out.append(line)
        used += len(line) + 1
    return out


def _fit(body: str, shown: Sequence[UnitView], full: list[str], limit: int, full_plan: str | None) -> str:
    where = f" The full plan is in {code(full_plan)}." if full_plan else ""
    note = (f"> [!NOTE]\n> This comment was shortened to stay under GitHub's "
            f"{GITHUB_COMMENT_LIMIT:,}-character comment limit.{where}\n\n")
    budget = limit - len(body) - len(note)
    chosen: dict[int, str] = {}
    # Fair shares: the smallest sections whole while they fit their share, the rest shortened.
    order = sorted(range(len(shown)), key=lambda i: len(full[i]))
    for rank, index in enumerate(order):
        share = budget // (len(order) - rank)
        if len(full[index]) <= share:
            text = full[index]
        elif share >= _MIN_SECTION:
            text = _section(shown[index], share - 200, full_plan)
            if len(text) > share:
                text = _name_only(shown[index], full_plan)
        else:
            text = _name_only(shown[index], full_plan)
        chosen[index] = text
        budget -= len(text)
    sections = [chosen[i] for i in range(len(shown))]
    out = body + note + "".join(sections)
    # Many units with huge sections can still overflow: the last ones give way, counted.
    while len(out) > limit and sections:
        sections.pop()
        rest = len(shown) - len(sections)
        tail = f"... and {rest:,} more stack(s) not shown.{where}\n"
        out = body + note + "".join(sections) + tail
    return out[:limit]


def unit_of(plan: Plan, key: str | None = None, region: str | None = None) -> UnitView:
    status = "refused" if not plan.ok else "changes" if plan.has_changes else "no changes"
    return UnitView(key or plan.stack.name, region if region is not None else plan.region, plan, status)


def render_markdown(plan: Plan, limit: int | None = COMMENT_BUDGET, *,
                    provenance: Provenance | None = None, full_plan: str | None = None) -> str:
    """The comment for one stack: the project layout with one unit, and its diagram."""
    from cmqinfra.graph.plan_diagram import plan_sections
    from cmqinfra.render.policy import policy_lines

    sections = plan_sections([(plan.stack.name, plan)]) if plan.ok else []
    return render_report([unit_of(plan)], provenance=provenance, full_plan=full_plan, limit=limit,
                         sections=sections, policy=policy_lines([("", plan.errors + plan.warnings)]))
