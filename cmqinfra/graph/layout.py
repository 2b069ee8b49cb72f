"""A layered layout in pure Python (no Graphviz at run time): each group (stack) is a block of
columns, left to right along the message flow (topics, their queues and endpoints, dead letters);
blocks are stacked top to bottom. Within a column nodes follow their predecessors (barycentre)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from cmqinfra.graph.model import Graph

NODE_W = 270
NODE_H = 54
GAP_X = 230
GAP_Y = 26
GROUP_PAD = 24
GROUP_HEAD = 30
GROUP_GAP = 30


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Layout:
    nodes: dict[str, Box]
    groups: dict[str, Box]
    width: float
    height: float


def _layers(keys: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest path from the sources, bounded so that a dead-letter cycle cannot loop."""
    layer = dict.fromkeys(keys, 0)
    inside = set(keys)
    local = [(a, b) for a, b in edges if a in inside and b in inside and a != b]
    for _ in range(len(keys)):
        moved = False
        for a, b in local:
            if layer[b] < layer[a] + 1 and layer[a] + 1 < len(keys):
                layer[b] = layer[a] + 1
                moved = True
        if not moved:
            break
    return layer


def _centre(key: str, preds: dict[str, list[str]], order: dict[str, float]) -> float:
    """The mean row of a node's placed predecessors (unplaced ones last)."""
    placed = [order[p] for p in preds[key] if p in order]
    return sum(placed) / len(placed) if placed else float("inf")


def layout(graph: Graph) -> Layout:
    edges = [(e.source, e.target) for e in graph.edges]
    preds: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        preds[b].append(a)
    boxes: dict[str, Box] = {}
    groups: dict[str, Box] = {}
    top = 0.0
    width = 0.0
    for group in graph.groups:
        members = [n for n in graph.nodes if n.group == group]
        layer = _layers([n.key for n in members], edges)
        columns: dict[int, list[str]] = defaultdict(list)
        for n in members:
            columns[layer[n.key]].append(n.key)
        order: dict[str, float] = {}
        height_rows = 0
        for col in sorted(columns):
            keys = columns[col]

            keys.sort(key=lambda k: (_centre(k, preds, order), k))
            for row, key in enumerate(keys):
                order[key] = row
                boxes[key] = Box(
                    GROUP_PAD + col * (NODE_W + GAP_X),
                    top + GROUP_HEAD + row * (NODE_H + GAP_Y),
                    NODE_W,
                    NODE_H,
                )
            height_rows = max(height_rows, len(keys))
        block_w = GROUP_PAD * 2 + len(columns) * NODE_W + max(0, len(columns) - 1) * GAP_X
        block_h = GROUP_HEAD + height_rows * (NODE_H + GAP_Y) + GROUP_PAD - GAP_Y
        groups[group] = Box(8, top, block_w, block_h)
        width = max(width, block_w + 16)
        top += block_h + GROUP_GAP
    return Layout(boxes, groups, max(width, 320), max(top, 80))
