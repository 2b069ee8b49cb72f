"""The topology of one or more stacks, from their manifests and, optionally, their live state."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cmqinfra.graph.model import Counts, Edge, Graph, Node
from cmqinfra.live import LiveState, name_key
from cmqinfra.model import DeadLetter, FilterType, Protocol, Queue, Stack, Subscription, Topic


@dataclass(frozen=True)
class Part:
    """One stack (or one unit of a project) to draw: its group name, its Stack, its live state."""

    group: str
    stack: Stack
    live: LiveState | None = None


def queue_key(group: str, name: str) -> str:
    return f"queue:{group}:{name_key(name)}"


def topic_key(group: str, name: str) -> str:
    return f"topic:{group}:{name_key(name)}"


def http_key(group: str, url: str) -> str:
    return f"http:{group}:{url}"


def subscription_label(sub: Subscription, filter_type: FilterType | None) -> str:
    """The subscription's name and what it receives, as the edge says it."""
    if filter_type is FilterType.ROUTING_KEY or sub.binding_keys:
        keys = ", ".join(sub.binding_keys) or "no binding key"
        return f"{sub.name}: {keys}"
    if sub.filter_tags:
        return f"{sub.name}: tags {', '.join(sub.filter_tags)}"
    return f"{sub.name}: every message"


def dead_letter_label(dead_letter: DeadLetter) -> str:
    if dead_letter.max_time_to_live is not None:
        return f"dead letter after {dead_letter.max_time_to_live} s"
    return f"dead letter after {dead_letter.max_receive_count} receives"


class _Builder:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.edges: dict[tuple[str, str, str, str], Edge] = {}
        self.declared_queues: dict[str, list[str]] = {}  # name key -> the groups declaring it

    def node(self, node: Node) -> None:
        self.nodes.setdefault(node.key, node)

    def edge(self, edge: Edge) -> None:
        self.edges.setdefault((edge.source, edge.target, edge.kind, edge.label), edge)

    def queue_ref(self, group: str, name: str, own: set[str]) -> str:
        """A queue named by a subscription or a dead letter: the stack's own, another drawn
        stack's, or a node of its own saying nobody here declares it."""
        if name_key(name) in own:
            return queue_key(group, name)
        others = self.declared_queues.get(name_key(name))
        if others:
            # In a project, another stack's queue of the same environment (units are "stack[env]").
            env = _environment(group)
            same = [g for g in others if _environment(g) == env]
            return queue_key((same or others)[0], name)
        key = queue_key("", name)
        self.node(Node(key, "queue", name, "", detail="not declared"))
        return key


def _counts(live: LiveState | None, queue: Queue) -> tuple[Counts | None, str]:
    if live is None:
        return None, ""
    found = live.queues.get(name_key(queue.name))
    if found is None:
        return None, "not created"
    m = found.messages
    return Counts(m.active, m.inactive, m.delayed), ""


def _live_only(part: Part) -> tuple[list[Queue], list[Topic], list[Subscription], dict[str, Counts]]:
    """What live state has for this stack that its manifests do not declare."""
    live = part.live
    if live is None:
        return [], [], [], {}
    declared_q = {name_key(q.name) for q in part.stack.queues}
    declared_t = {name_key(t.name) for t in part.stack.topics}
    declared_s = {(name_key(s.topic), s.name) for s in part.stack.subscriptions}
    queues = [lq.queue for k, lq in sorted(live.queues.items())
              if k not in declared_q and lq.owner == part.stack.name]
    topics = [lt.topic for k, lt in sorted(live.topics.items())
              if k not in declared_t and lt.owner == part.stack.name]
    drawn_topics = declared_t | {name_key(t.name) for t in topics}
    subs = [ls.subscription for k, ls in sorted(live.subscriptions.items())
            if k not in declared_s and k[0] in drawn_topics]
    counts = {name_key(lq.queue.name): Counts(lq.messages.active, lq.messages.inactive, lq.messages.delayed)
              for lq in live.queues.values()}
    return queues, topics, subs, counts


def topology(parts: Sequence[Part]) -> Graph:
    """Topics -> subscriptions -> queues / http endpoints, queues -> dead letters, per group."""
    b = _Builder()
    for part in parts:
        for q in part.stack.queues:
            b.declared_queues.setdefault(name_key(q.name), []).append(part.group)
    for part in parts:
        _add_part(b, part)
    return Graph(nodes=tuple(b.nodes.values()), edges=tuple(b.edges.values()))


def _add_part(b: _Builder, part: Part) -> None:
    group = part.group
    extra_q, extra_t, extra_s, live_counts = _live_only(part)
    queues: list[tuple[Queue, str]] = [(q, "") for q in part.stack.queues]
    queues += [(q, "live only") for q in extra_q]
    topics: list[tuple[Topic, str]] = [(t, "") for t in part.stack.topics]
    topics += [(t, "live only") for t in extra_t]
    own = {name_key(q.name) for q, _ in queues}
    for q, state in queues:
        counts, missing = _counts(part.live, q) if not state else (live_counts.get(name_key(q.name)), "")
        b.node(Node(queue_key(group, q.name), "queue", q.name, group, counts=counts, state=state or missing))
    filter_types: dict[str, FilterType] = {}
    for t, state in topics:
        filter_types[name_key(t.name)] = t.filter_type
        missing = ""
        if part.live is not None and not state and name_key(t.name) not in part.live.topics:
            missing = "not created"
        b.node(Node(topic_key(group, t.name), "topic", t.name, group,
                    detail=_filter_word(t.filter_type), state=state or missing))
    for q, _ in queues:
        if q.dead_letter is not None:
            target = b.queue_ref(group, q.dead_letter.queue, own)
            b.edge(Edge(queue_key(group, q.name), target, "dead-letter", dead_letter_label(q.dead_letter),
                        ref=q.address))
    subs: Iterable[Subscription] = [*part.stack.subscriptions, *extra_s]
    for s in subs:
        source = topic_key(group, s.topic)
        if source not in b.nodes:
            b.node(Node(source, "topic", s.topic, group, detail="not declared"))
        if s.protocol is Protocol.HTTP:
            target = http_key(group, s.endpoint)
            b.node(Node(target, "http", s.endpoint, group))
        else:
            target = b.queue_ref(group, s.endpoint, own)
        label = subscription_label(s, filter_types.get(name_key(s.topic)))
        b.edge(Edge(source, target, "subscription", label, ref=s.address))


def _environment(group: str) -> str:
    return group[group.rindex("[") + 1 : -1] if group.endswith("]") and "[" in group else ""


def _filter_word(filter_type: FilterType) -> str:
    return "routing key" if filter_type is FilterType.ROUTING_KEY else "tags"
