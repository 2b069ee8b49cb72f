"""Large graphs stay readable: a node's fan-out past a threshold becomes one "N more" node,
and the graph's notes say what was collapsed (nothing disappears silently)."""

from __future__ import annotations

from collections import defaultdict

from cmqinfra.graph.model import Edge, Graph, Node

DEFAULT_MAX_FANOUT = 12


def collapse(graph: Graph, max_fanout: int = DEFAULT_MAX_FANOUT) -> Graph:
    """Keep the first ``max_fanout - 1`` edges out of (and dead letters into) each node, in a
    stable order, and stand one summary node in for the rest. Marked edges (a plan's changes)
    are kept before unmarked ones."""
    if max_fanout < 2:
        raise ValueError("max_fanout must be at least 2")
    out: dict[str, list[Edge]] = defaultdict(list)
    into: dict[str, list[Edge]] = defaultdict(list)
    for e in graph.edges:
        (into[e.target] if e.kind == "dead-letter" else out[e.source]).append(e)
    dropped: set[int] = set()
    extra_nodes: list[Node] = []
    extra_edges: list[Edge] = []
    notes = list(graph.notes)
    names = {n.key: n for n in graph.nodes}
    for key, edges in [*out.items(), *into.items()]:
        if len(edges) <= max_fanout:
            continue
        incoming = edges[0].kind == "dead-letter"
        ordered = sorted(edges, key=lambda e: (e.mark == "", e.label, e.source, e.target))
        hidden = ordered[max_fanout - 1:]
        dropped.update(id(e) for e in hidden)
        anchor = names[key]
        word = "dead-letter sources" if incoming else "subscriptions"
        more_key = f"more:{key}"
        extra_nodes.append(Node(more_key, "more", f"{len(hidden)} more {word}", anchor.group))
        label = f"{len(hidden)} more"
        more = Edge(more_key, key, "more", label) if incoming else Edge(key, more_key, "more", label)
        extra_edges.append(more)
        notes.append(f"{anchor.kind} {anchor.name}: {len(hidden)} of {len(edges)} {word} collapsed "
                     f"(more than {max_fanout})")
    if not dropped:
        return graph
    edges = [e for e in graph.edges if id(e) not in dropped] + extra_edges
    # A node every one of whose edges was collapsed goes with them; isolated nodes stay.
    touched = {e.source for e in graph.edges} | {e.target for e in graph.edges}
    used = {e.source for e in edges} | {e.target for e in edges}
    kept_keys = {k for k in names if k in used or k not in touched}
    nodes = [n for n in graph.nodes if n.key in kept_keys] + extra_nodes
    return Graph(nodes=tuple(nodes), edges=tuple(edges), notes=tuple(notes))

