"""The topology graph: nodes (topics, queues, http endpoints), edges (subscriptions, dead letters),
grouped by stack or unit. Pure values: renderers decide nothing, they draw these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

NodeKind = Literal["topic", "queue", "http", "more"]
EdgeKind = Literal["subscription", "dead-letter", "more"]
# What a plan does to an element ("" when the plan leaves it alone or there is no plan).
Mark = Literal["", "create", "update", "replace", "delete"]


@dataclass(frozen=True)
class Counts:
    """A queue's messages when live state was read: active, in flight, delayed."""

    active: int = 0
    in_flight: int = 0
    delayed: int = 0

    def describe(self) -> str:
        return f"{self.active} active, {self.in_flight} in flight, {self.delayed} delayed"


@dataclass(frozen=True)
class Node:
    key: str  # unique in the graph: "queue:GROUP:NAME"; renderers give it a safe id of their own
    kind: NodeKind
    name: str  # the queue or topic name, the http URL, or the collapsed count's wording
    group: str  # the stack (or unit) that declares it; "" for something no stack declares
    detail: str = ""  # a topic's filter type; "not declared" for a queue only referenced
    counts: Counts | None = None
    state: str = ""  # with live state: "" (declared and live), "not created", "live only"
    mark: Mark = ""


@dataclass(frozen=True)
class Edge:
    source: str  # node keys
    target: str
    kind: EdgeKind
    label: str  # subscription name and filter, or the dead-letter policy
    mark: Mark = ""
    ref: str = ""  # the address the edge stands for: subscription/TOPIC/NAME, or the source queue's


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    notes: tuple[str, ...] = field(default=())  # what was collapsed or left out, said plainly

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n.group for n in self.nodes))

    def node(self, key: str) -> Node:
        for n in self.nodes:
            if n.key == key:
                return n
        raise KeyError(key)
