"""The topology as one self-contained SVG file: inline styles, no script, no external reference
(it opens with no network), laid out by cmqinfra/graph/layout.py."""

from __future__ import annotations

from cmqinfra.graph.layout import Box, layout
from cmqinfra.graph.mermaid import ACTION_WORDS, EDGE_COLOURS, node_text
from cmqinfra.graph.model import Graph, Node
from cmqinfra.render.graph_escape import clip, xml_text

_FILL = {"topic": "#ddf4ff", "queue": "#f6f8fa", "http": "#fbefff", "more": "#ffffff"}
_MARK_FILL = {"create": "#dafbe1", "update": "#fff8c5", "replace": "#ffe2cc", "delete": "#ffebe9"}
_STYLE = (
    "text{font-family:Helvetica,Arial,sans-serif;fill:#1f2328}"
    ".name{font-size:13px;font-weight:bold}.detail{font-size:11px;fill:#57606a}"
    ".edge{fill:none;stroke:#57606a;stroke-width:1.4}.dlq{stroke-dasharray:6 4;stroke:#8c959f}"
    ".label{font-size:10px;fill:#24292f;paint-order:stroke;stroke:#ffffff;stroke-width:3px}.group{fill:none;stroke:#d0d7de;stroke-width:1.2}"
    ".gname{font-size:13px;fill:#57606a}.note{font-size:12px;fill:#9a6700}"
)


def _node(node: Node, box: Box) -> str:
    fill = _MARK_FILL.get(node.mark, _FILL[node.kind])
    rx = 24 if node.kind == "topic" else 6
    dash = ' stroke-dasharray="5 3"' if node.mark == "delete" or node.state else ""
    title = node.kind if node.kind != "more" else ""
    name = clip(f"{title} {node.name}".strip(), 36)
    full = node_text(node)
    details = [d for d in (node.detail, node.state) if d]
    if node.counts is not None:
        c = node.counts
        details.append(f"{c.active} active · {c.in_flight} in flight · {c.delayed} delayed")
    if node.mark:
        details.append(ACTION_WORDS[node.mark])
    detail = clip("; ".join(details), 46)
    return (
        f'<g class="node {node.kind}"><title>{xml_text(full)}</title>'
        f'<rect x="{box.x}" y="{box.y}" width="{box.w}" height="{box.h}" rx="{rx}" '
        f'fill="{fill}" stroke="#57606a"{dash}/>'
        f'<text class="name" x="{box.x + 10}" y="{box.y + 22}">{xml_text(name)}</text>'
        f'<text class="detail" x="{box.x + 10}" y="{box.y + 40}">{xml_text(detail)}</text></g>'
    )


def _bezier(p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float],
            p3: tuple[float, float], t: float) -> tuple[float, float]:
    u = 1 - t
    x = u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0]
    y = u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]
    return round(x, 1), round(y, 1)


def to_svg(graph: Graph) -> str:
    lay = layout(graph)
    notes_h = 18 * len(graph.notes)
    width, height = lay.width, lay.height + notes_h + 10
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img">',
        f"<title>cmqinfra topology</title><style>{_STYLE}</style>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#57606a"/>'
        "</marker></defs>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for group, box in lay.groups.items():
        if not group:
            continue
        parts.append(f'<rect class="group" x="{box.x}" y="{box.y}" width="{box.w}" height="{box.h}" rx="8"/>')
        name = xml_text("stack " + group)
        parts.append(f'<text class="gname" x="{box.x + 12}" y="{box.y + 20}">{name}</text>')
    for e in graph.edges:
        a, b = lay.nodes[e.source], lay.nodes[e.target]
        x1, y1 = a.x + a.w, a.y + a.h / 2
        x2, y2 = b.x, b.y + b.h / 2
        if x2 <= x1:  # backwards or within a column: loop around below
            x2, y2 = b.x + b.w / 2, b.y + b.h
            x1, y1 = a.x + a.w / 2, a.y + a.h
            path = f"M{x1},{y1} C{x1},{y1 + 60} {x2},{y2 + 60} {x2},{y2}"
            lx, ly = (x1 + x2) / 2, max(y1, y2) + 40
        else:
            mid = (x1 + x2) / 2
            path = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
            # Near the target end, where the arrows of one fan-out have spread apart.
            lx, ly = _bezier((x1, y1), (mid, y1), (mid, y2), (x2, y2), 0.6)
            ly -= 4
        cls = "edge dlq" if e.kind == "dead-letter" else "edge"
        colour = f' style="stroke:{EDGE_COLOURS[e.mark]};stroke-width:2.2"' if e.mark else ""
        parts.append(f'<g><title>{xml_text(e.label)}</title><path class="{cls}" d="{path}"{colour} '
                     f'marker-end="url(#arrow)"/>'
                     f'<text class="label" x="{lx}" y="{ly}" text-anchor="middle">'
                     f"{xml_text(clip(e.label, 40))}</text></g>")
    for n in graph.nodes:
        parts.append(_node(n, lay.nodes[n.key]))
    for i, note in enumerate(graph.notes):
        parts.append(f'<text class="note" x="12" y="{lay.height + 14 + 18 * i}">{xml_text(note)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
