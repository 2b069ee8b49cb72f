"""The plan's effect, drawn: the part of the topology a plan touches (changed resources and their
immediate neighbours), each element marked created, changed, replaced or deleted, as a Mermaid
block: the pull-request comment's optional section (cmqinfra/render/markdown.py). It has its own
size budget: when it does not fit, or when the comment would not fit with it, it is dropped first,
with a note in its place (never the summary or CAUTION)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from cmqinfra.graph.build import Part, queue_key, topic_key, topology
from cmqinfra.graph.mermaid import ACTION_WORDS, to_mermaid
from cmqinfra.graph.model import Edge, Graph, Mark
from cmqinfra.model import Queue, Subscription, Topic
from cmqinfra.plan.values import Action, Plan, ResourceChange

DIAGRAM_BUDGET = 16_000  # characters of the comment the diagram may take
MAX_NODES = 150
MAX_EDGES = 150  # past this a diagram is no longer read (and renderers refuse around 500)
TITLE = "What this plan touches"


def _mark(change: ResourceChange) -> Mark:
    if change.action is Action.CREATE:
        return "create"
    if change.action is Action.DELETE:
        return "delete"
    if change.action is Action.REPLACE:
        return "replace"
    if change.attribute_changes:
        return "update"  # an update, or an adoption / move / import that also changes attributes
    return ""


def _with_deleted(plan: Plan) -> Part:
    """The desired stack plus what the plan deletes (so deleted elements can be drawn)."""
    stack = plan.stack
    declared = {r.address for r in (*stack.queues, *stack.topics, *stack.subscriptions)}
    gone = [c.before for c in plan.changes if c.action is Action.DELETE and c.before is not None]
    # What the plan changes is in its stack; a hand-built plan may not say so: take the change's.
    gone += [c.after for c in plan.changes if c.after is not None and c.address not in declared
             and c.action is not Action.DELETE]
    return Part(stack.name, replace(
        stack,
        queues=stack.queues + tuple(r for r in gone if isinstance(r, Queue)),
        topics=stack.topics + tuple(r for r in gone if isinstance(r, Topic)),
        subscriptions=stack.subscriptions + tuple(r for r in gone if isinstance(r, Subscription)),
    ))


def touched(plans: Sequence[tuple[str, Plan]]) -> Graph:
    """The marked topology of every plan, cut down to changed elements and their neighbours."""
    parts = [replace(_with_deleted(plan), group=group) for group, plan in plans]
    whole = topology(parts)
    node_marks: dict[str, Mark] = {}
    edge_marks: dict[tuple[str, str], Mark] = {}  # (group, edge ref) -> mark
    old_dead_letters: list[Edge] = []
    for group, plan in plans:
        for c in plan.changes:
            mark = _mark(c)
            if not mark:
                continue
            if c.type == "queue":
                node_marks[queue_key(group, c.name)] = mark
                old_dead_letters += _dead_letter_moves(group, c, whole, edge_marks)
            elif c.type == "topic":
                node_marks[topic_key(group, c.name)] = mark
            else:
                edge_marks[(group, c.address)] = mark
    groups = {n.key: n.group for n in whole.nodes}
    nodes = [replace(n, mark=node_marks.get(n.key, "")) for n in whole.nodes]
    edges = [replace(e, mark=edge_marks.get((groups[e.source], e.ref), "")) for e in whole.edges]
    edges += old_dead_letters
    hot = {k for k, m in node_marks.items() if m}
    for e in edges:
        if e.mark:
            hot |= {e.source, e.target}
    near = set(hot)
    for e in edges:
        if e.source in hot or e.target in hot:
            near |= {e.source, e.target}
    kept_edges = tuple(e for e in edges if e.mark or (e.source in hot and e.target in near)
                       or (e.target in hot and e.source in near))
    return Graph(tuple(n for n in nodes if n.key in near), kept_edges)


def _dead_letter_moves(group: str, change: ResourceChange, whole: Graph,
                       edge_marks: dict[tuple[str, str], Mark]) -> list[Edge]:
    """A changed dead letter draws as the new edge created and the old one deleted."""
    before, after = change.before, change.after
    if change.action is not Action.UPDATE or not isinstance(before, Queue) or not isinstance(after, Queue):
        return []
    if before.dead_letter == after.dead_letter:
        return []
    if after.dead_letter is not None:
        edge_marks[(group, after.address)] = "create"
    if before.dead_letter is None:
        return []
    from cmqinfra.graph.build import dead_letter_label

    old_target = queue_key(group, before.dead_letter.queue)
    if old_target not in {n.key for n in whole.nodes}:
        old_target = queue_key("", before.dead_letter.queue)
    return [Edge(queue_key(group, before.name), old_target, "dead-letter",
                 dead_letter_label(before.dead_letter), mark="delete", ref=f"{after.address}#old")]


def plan_sections(plans: Sequence[tuple[str, Plan]], budget: int = DIAGRAM_BUDGET) -> list[Any]:
    """The diagram as the comment's optional section (cmqinfra/render/markdown.py ``Section``):
    its body when it fits its own budget, else a note; either way the note the comment shows
    when it has no room for the section."""
    from cmqinfra.render.markdown import Section

    graph = touched(plans)
    if not graph.nodes:
        return []
    if len(graph.edges) > MAX_EDGES or len(graph.nodes) > MAX_NODES:
        size = f"{len(graph.nodes):,} resources and {len(graph.edges):,} links"
        most = f"{MAX_NODES} resources, {MAX_EDGES} links"
        note = _note(f"{size} are more than a diagram shows readably ({most})")
        return [Section(TITLE, note, dropped=note)]
    marks = [m for m in ACTION_WORDS if any(n.mark == m for n in graph.nodes)
             or any(e.mark == m for e in graph.edges)]
    legend = ", ".join(f"**{ACTION_WORDS[m]}**" for m in marks)
    body = (f"```mermaid\n{to_mermaid(graph, legend=True)}```\n\n"
            f"Legend: {legend} (colours as in the legend box); {_count(len(graph.nodes), 'resource')}: "
            "the changes and their immediate neighbours (unchanged ones plain); dotted arrows are "
            "dead letters.")
    if len(body) > budget:
        note = _note(f"it would take {len(body):,} characters, over its budget of {budget:,}")
        return [Section(TITLE, note, dropped=note)]
    return [Section(TITLE, body, dropped=_note("the comment would pass GitHub's comment limit with it"))]


def _note(why: str) -> str:
    return (f"> [!NOTE]\n> The diagram of what this plan touches was left out: {why}. "
            "`cmqinfra graph` draws the topology.")


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
