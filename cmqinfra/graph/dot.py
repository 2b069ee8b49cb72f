"""The topology in Graphviz DOT (``dot -Tsvg``), one cluster per group."""

from __future__ import annotations

from cmqinfra.graph.mermaid import EDGE_COLOURS, node_text
from cmqinfra.graph.model import Graph, Node
from cmqinfra.render.graph_escape import dot_string

_SHAPES = {"topic": "hexagon", "queue": "cylinder", "http": "cds", "more": "note"}
_FILLS = {"create": "#dafbe1", "update": "#fff8c5", "replace": "#ffe2cc", "delete": "#ffebe9"}


def _node(node: Node, ident: str) -> str:
    attrs = [f'label="{dot_string(node_text(node))}"', f"shape={_SHAPES[node.kind]}"]
    if node.mark:
        attrs += ["style=filled", f'fillcolor="{_FILLS[node.mark]}"']
    return f"{ident} [{', '.join(attrs)}];"


def to_dot(graph: Graph) -> str:
    ids = {n.key: f"n{i}" for i, n in enumerate(graph.nodes)}
    lines = ["digraph cmqinfra {", "  rankdir=LR;", '  node [fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for note in graph.notes:
        lines.append(f'  // {dot_string(note).replace("*/", "* /")}')
    for g, group in enumerate(graph.groups):
        members = [n for n in graph.nodes if n.group == group]
        if group:
            lines.append(f"  subgraph cluster_{g} {{")
            lines.append(f'    label="{dot_string("stack " + group)}";')
            lines.extend("    " + _node(n, ids[n.key]) for n in members)
            lines.append("  }")
        else:
            lines.extend("  " + _node(n, ids[n.key]) for n in members)
    for e in graph.edges:
        attrs = [f'label="{dot_string(e.label)}"']
        if e.kind == "dead-letter":
            attrs.append("style=dashed")
        if e.mark:
            attrs.append(f'color="{EDGE_COLOURS[e.mark]}"')
        lines.append(f"  {ids[e.source]} -> {ids[e.target]} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
