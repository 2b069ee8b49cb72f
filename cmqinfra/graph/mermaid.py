"""The topology as a Mermaid flowchart (GitHub and GitLab render it in markdown)."""

from __future__ import annotations

from cmqinfra.graph.model import Edge, Graph, Node
from cmqinfra.render.graph_escape import mermaid_label

# Fill and stroke per plan action; the legend uses the same words.
ACTION_STYLES = {
    "create": "fill:#dafbe1,stroke:#1a7f37,color:#0b3d1a",
    "update": "fill:#fff8c5,stroke:#9a6700,color:#3d2c00",
    "replace": "fill:#ffe2cc,stroke:#bc4c00,color:#4a1e00,stroke-width:3px",
    "delete": "fill:#ffebe9,stroke:#cf222e,color:#5c0a0f,stroke-dasharray:5 3",
}
ACTION_WORDS = {"create": "created", "update": "changed", "replace": "replaced", "delete": "deleted"}
EDGE_COLOURS = {"create": "#1a7f37", "update": "#9a6700", "replace": "#bc4c00", "delete": "#cf222e"}


def node_text(node: Node) -> str:
    words = {"topic": "topic", "queue": "queue", "http": "http", "more": ""}[node.kind]
    head = f"{words} {node.name}".strip()
    details = [d for d in (node.detail, node.state) if d]
    if node.counts is not None:
        c = node.counts
        details.append(f"{c.active} active, {c.in_flight} in flight, {c.delayed} delayed")
    if node.mark:
        details.append(ACTION_WORDS[node.mark])
    return head + (f" ({', '.join(details)})" if details else "")


def _shape(node: Node, ident: str) -> str:
    label = f'"{mermaid_label(node_text(node))}"'
    if node.kind == "topic":
        return f"{ident}{{{{{label}}}}}"
    if node.kind == "queue":
        return f"{ident}[({label})]"
    if node.kind == "http":
        return f"{ident}>{label}]"
    return f"{ident}[{label}]"


def _arrow(edge: Edge) -> str:
    label = mermaid_label(edge.label)
    if edge.kind == "dead-letter":
        return f'-. "{label}" .->'
    return f'-- "{label}" -->'


def to_mermaid(graph: Graph, *, legend: bool = False) -> str:
    """``flowchart LR``: one subgraph per group (stack or unit); node ids are numbers, never names."""
    ids = {n.key: f"n{i}" for i, n in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    for g, group in enumerate(graph.groups):
        members = [n for n in graph.nodes if n.group == group]
        indent = "  "
        if group:
            lines.append(f'  subgraph g{g}["{mermaid_label("stack " + group)}"]')
            indent = "    "
        lines.extend(indent + _shape(n, ids[n.key]) for n in members)
        if group:
            lines.append("  end")
    link_styles: list[str] = []
    for index, e in enumerate(graph.edges):
        lines.append(f"  {ids[e.source]} {_arrow(e)} {ids[e.target]}")
        if e.mark:
            link_styles.append(f"  linkStyle {index} stroke:{EDGE_COLOURS[e.mark]},stroke-width:2px")
    marks = sorted({n.mark for n in graph.nodes if n.mark} | {e.mark for e in graph.edges if e.mark},
                   key=list(ACTION_STYLES).index)
    if marks or legend:
        for mark in ACTION_STYLES:
            lines.append(f"  classDef {mark} {ACTION_STYLES[mark]}")
        for n in graph.nodes:
            if n.mark:
                lines.append(f"  class {ids[n.key]} {n.mark}")
    if legend and marks:
        lines.append('  subgraph legend["legend"]')
        lines.extend(f'    legend_{m}["{ACTION_WORDS[m]}"]:::{m}' for m in marks)
        lines.append("  end")
    lines.extend(link_styles)
    return "\n".join(lines) + "\n"
