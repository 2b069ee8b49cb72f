"""Partial plans (``--target ADDRESS``): the targeted resources and what they need, nothing else.

What a resource needs: a queue its dead-letter queue (and that one's, transitively); a
subscription its topic and, for a queue subscription, its endpoint queue. Those are planned
(created or converged) with the targets; only a targeted address is ever deleted, released or
moved out. A targeted topic brings the subscriptions the service would take with it: those
replaced or deleted with the topic. A topic replacement that would take along a declared
subscription the partial plan does not re-create (one not targeted) is refused.

The read follows the closure too (``closure.queue_names`` ...): name-list calls and one Detail
listing per targeted topic or subscription, never the stack's whole listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.live import LiveState, name_key
from cmqinfra.model import Protocol, Stack
from cmqinfra.plan.values import Action, ResourceChange

_NAME = r"[A-Za-z][A-Za-z0-9_-]{0,63}"
_ADDRESS = re.compile(rf"(queue|topic)/{_NAME}|subscription/{_NAME}/{_NAME}")

# Changes a dependency (not itself targeted) may carry: it is made ready for the targets,
# never taken away.
_KEEPS = (Action.DELETE, Action.RELEASE, Action.MOVE_OUT)


def parse_target(text: str) -> str:
    """A target address as given, or ValueError with the accepted forms."""
    if not _ADDRESS.fullmatch(text):
        raise ValueError(
            f"--target {text!r} is not an address: use queue/NAME, topic/NAME or subscription/TOPIC/NAME"
        )
    return text


@dataclass(frozen=True)
class Closure:
    """The targeted addresses and what they need, casefolded address -> names as written."""

    targets: frozenset[str]
    queues: dict[str, str] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)
    subscriptions: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __contains__(self, address: object) -> bool:
        key = str(address).casefold()
        return key in self.queues or key in self.topics or key in self.subscriptions

    @property
    def listed_topics(self) -> tuple[str, ...]:
        """Targeted topics: all their subscriptions are read (a replaced or deleted topic takes
        them along)."""
        return tuple(name for key, name in sorted(self.topics.items()) if key in self.targets)

    @property
    def single_subscriptions(self) -> tuple[tuple[str, str], ...]:
        """Targeted subscriptions whose topic is not itself targeted: read one by one."""
        return tuple(
            pair
            for _, pair in sorted(self.subscriptions.items())
            if f"topic/{pair[0]}".casefold() not in self.targets
        )


def target_closure(stack: Stack, targets: Iterable[str]) -> Closure:
    queues = {name_key(q.name): q for q in stack.queues}
    subscriptions = {s.address.casefold(): s for s in stack.subscriptions}
    wanted = frozenset(t.casefold() for t in targets)
    closure = Closure(targets=wanted)

    def add_queue(name: str) -> None:
        key = f"queue/{name}".casefold()
        if key in closure.queues:
            return
        declared = queues.get(name_key(name))
        closure.queues[key] = declared.name if declared is not None else name
        if declared is not None and declared.dead_letter is not None:
            add_queue(declared.dead_letter.queue)

    for target in targets:
        kind, _, rest = target.partition("/")
        if kind == "queue":
            add_queue(rest)
        elif kind == "topic":
            closure.topics[target.casefold()] = rest
        else:
            topic, _, name = rest.partition("/")
            closure.subscriptions[target.casefold()] = (topic, name)
            closure.topics.setdefault(f"topic/{topic}".casefold(), topic)
            declared_sub = subscriptions.get(target.casefold())
            if declared_sub is not None and declared_sub.protocol is Protocol.QUEUE:
                add_queue(declared_sub.endpoint)
    return closure


def restrict_stack(stack: Stack, closure: Closure) -> Stack:
    """The desired stack cut down to the closure (refactoring entries included)."""
    return replace(
        stack,
        queues=tuple(q for q in stack.queues if q.address in closure),
        topics=tuple(t for t in stack.topics if t.address in closure),
        subscriptions=tuple(s for s in stack.subscriptions if s.address in closure),
        moved=tuple(m for m in stack.moved if m.address in closure),
        removed=tuple(r for r in stack.removed if r.address in closure),
        imports=tuple(i for i in stack.imports if i.address in closure),
    )


def restrict_live(live: LiveState, closure: Closure) -> LiveState:
    """Live state cut down to what the targeted read reads, whatever was actually read: a saved
    partial plan then fingerprints the same live state when it is applied."""
    listed = {f"topic/{t}".casefold() for t in closure.listed_topics}
    return replace(
        live,
        queues={k: q for k, q in live.queues.items() if f"queue/{k}" in closure},
        topics={k: t for k, t in live.topics.items() if f"topic/{k}" in closure},
        subscriptions={
            k: s
            for k, s in live.subscriptions.items()
            if s.subscription.address in closure or f"topic/{k[0]}" in listed
        },
    )


def targeted_changes(
    changes: list[ResourceChange], closure: Closure, targets: Iterable[str]
) -> list[ResourceChange]:
    wanted = {t.casefold() for t in targets}
    topic_actions = {c.address.casefold(): c.action for c in changes if c.type == "topic"}
    out = []
    for c in changes:
        key = c.address.casefold()
        if key in wanted:
            out.append(c)
        elif c.type == "subscription":
            # The closure's subscriptions are all targets: any other one was read with its
            # targeted topic, and goes only where the service takes it, with that topic.
            topic = f"topic/{c.address.split('/')[1]}".casefold()
            if topic_actions.get(topic) in (Action.REPLACE, Action.DELETE):
                out.append(c)
        elif key in closure and c.action not in _KEEPS:
            out.append(c)
    return out


def untargeted_replacements(
    changes: list[ResourceChange], stack: Stack, targets: Iterable[str]
) -> list[Diagnostic]:
    """A topic replacement deletes every subscription of the topic; a partial plan re-creates only
    the targeted ones, so one that replaces a topic with other declared subscriptions is refused."""
    wanted = {t.casefold() for t in targets}
    out = []
    for c in changes:
        if c.type != "topic" or c.action is not Action.REPLACE:
            continue
        left = sorted(
            s.address
            for s in stack.subscriptions
            if name_key(s.topic) == name_key(c.name) and s.address.casefold() not in wanted
        )
        if left:
            out.append(Diagnostic(
                f"{c.address} must be replaced, which deletes every subscription of it; this partial "
                f"plan would not re-create {', '.join(left)}",
                c.after.source,  # type: ignore[union-attr]  # a replacement has its desired side
                hint="target those subscriptions too, or run a full plan",
            ))
    return out


def unknown_targets(
    stack: Stack, changes: list[ResourceChange], targets: Iterable[str]
) -> list[Diagnostic]:
    """A target that names nothing the manifest declares and nothing the stack owns is a slip
    (a name without its environment's prefix or suffix, say): planned, it would say "no changes"
    and pass review while the intended fix never runs."""
    declared = {r.address.casefold(): r.address for r in (*stack.queues, *stack.topics, *stack.subscriptions)}
    known = set(declared) | {c.address.casefold() for c in changes}
    out = []
    for target in targets:
        if target.casefold() in known:
            continue
        import difflib  # a slip's suggestion: most runs name no target, and the ones that do rarely slip

        close = difflib.get_close_matches(target.casefold(), list(declared), n=1, cutoff=0.6)
        out.append(Diagnostic(
            f"--target {target} names nothing in the manifest of stack {stack.name} or in what it owns",
            hint=f"did you mean {declared[close[0]]}?" if close else "addresses are queue/NAME, "
            "topic/NAME and subscription/TOPIC/NAME, with the names as planned",
        ))
    return out
