"""Expectations checked against what the manifest allows, before anything runs.

Where a message can be is known from the stack alone: a sent message stays in its queue or moves
down its dead-letter chain; a published one reaches the subscriptions the routing matcher
(``cmqinfra.routing``, through ``routing_report``) lets through, and their queues' dead-letter
chains. An expectation outside that is a mistake in the test or in the manifest: it is reported
at its file:line with the reason, as ``cmqinfra route`` would explain it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.flowtest.spec import (
    Count,
    Delete,
    Expect,
    FlowTest,
    Named,
    Publish,
    Receive,
    Rewind,
    Send,
    SetQueue,
    TestFile,
)
from cmqinfra.live import name_key
from cmqinfra.model import FilterType, Protocol, Queue, Stack
from cmqinfra.routing_report import Message, RouteError, route


@dataclass
class _Reach:
    """Where one message can be, and why each other place cannot have it."""

    origin: str
    queues: set[str] = field(default_factory=set)
    endpoints: set[str] = field(default_factory=set)
    misses: dict[str, str] = field(default_factory=dict)  # queue or endpoint -> why not


def check(test_file: TestFile, stack: Stack) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for test in test_file.tests:
        out.extend(_check_test(test, stack))
    return out


def _queues(stack: Stack) -> dict[str, Queue]:
    return {name_key(q.name): q for q in stack.queues}


def _dead_letter_chain(stack: Stack, queue: str) -> list[str]:
    queues = _queues(stack)
    chain: list[str] = []
    current = queues.get(name_key(queue))
    while current is not None and current.dead_letter is not None:
        nxt = name_key(current.dead_letter.queue)
        if nxt in chain or nxt == name_key(queue):
            break
        chain.append(nxt)
        current = queues.get(nxt)
    return chain


def _known_queue(stack: Stack, named: Named) -> Diagnostic | None:
    if name_key(named.value) in _queues(stack):
        return None
    known = ", ".join(q.name for q in stack.queues) or "none"
    return Diagnostic(
        f"queue {named.value!r} is not in stack {stack.name!r}", named.at, hint=f"queues: {known}"
    )


def _check_test(test: FlowTest, stack: Stack) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    reach: dict[str, _Reach] = {}
    for step in test.steps:
        if isinstance(step, (Send, Receive)):
            problem = _known_queue(stack, step.queue)
            if problem is not None:
                out.append(problem)
                continue
            if isinstance(step, Send):
                here = name_key(step.queue.value)
                chain = _dead_letter_chain(stack, step.queue.value)
                allowed = [here, *chain]
                reach[step.message] = _Reach(
                    origin=f"it is sent to queue {step.queue.value!r}",
                    queues=set(allowed),
                    misses={},
                )
        elif isinstance(step, (Delete, Rewind, SetQueue, Count)):
            problem = _known_queue(stack, step.queue)
            if problem is not None:
                out.append(problem)
            elif isinstance(step, Delete) and step.message not in reach:
                out.append(Diagnostic(
                    f"message {step.message!r} is not sent or published by an earlier step of this test",
                    step.at))
        elif isinstance(step, Publish):
            published = _publish_reach(stack, step)
            if isinstance(published, Diagnostic):
                out.append(published)
            else:
                reach[step.message] = published
        elif isinstance(step, Expect):
            out.extend(_check_expect(stack, step, reach.get(step.message)))
    return out


def _publish_reach(stack: Stack, step: Publish) -> _Reach | Diagnostic:
    topic = next((t for t in stack.topics if name_key(t.name) == name_key(step.topic.value)), None)
    if topic is None:
        known = ", ".join(t.name for t in stack.topics) or "none"
        return Diagnostic(
            f"topic {step.topic.value!r} is not in stack {stack.name!r}",
            step.topic.at,
            hint=f"topics: {known}",
        )
    by_key = topic.filter_type is FilterType.ROUTING_KEY
    message = Message(routing_key=step.routing_key if by_key else None, tags=() if by_key else step.tags)
    if by_key and step.tags:
        return Diagnostic(f"topic {topic.name!r} filters by routing key: give routingKey, not tags", step.at)
    if not by_key and step.routing_key:
        return Diagnostic(f"topic {topic.name!r} filters by tag: give tags, not routingKey", step.at)
    try:
        report = route(stack, topic.name, message)
    except RouteError as exc:
        return Diagnostic(str(exc), step.at)
    what = f"routing key {step.routing_key!r}" if by_key else f"tags {list(step.tags)}"
    result = _Reach(origin=f"it is published to topic {topic.name!r} with {what}")
    for verdict in report.verdicts:
        sub = verdict.subscription
        target = name_key(sub.endpoint) if sub.protocol is Protocol.QUEUE else sub.endpoint
        if verdict.receives:
            if sub.protocol is Protocol.QUEUE:
                result.queues.update([target, *_dead_letter_chain(stack, sub.endpoint)])
            else:
                result.endpoints.add(sub.endpoint)
        else:
            result.misses.setdefault(target, f"subscription {sub.name!r} skips it: {verdict.reason}")
    return result


def _check_expect(stack: Stack, step: Expect, reach: _Reach | None) -> list[Diagnostic]:
    if reach is None:
        return [
            Diagnostic(
                f"message {step.message!r} is not sent or published by an earlier step of this test",
                step.message_at,
            )
        ]
    out: list[Diagnostic] = []
    for named in (*step.in_queues, *step.not_in):
        problem = _known_queue(stack, named)
        if problem is not None:
            out.append(problem)
    for named in step.in_queues:
        key = name_key(named.value)
        if key in _queues(stack) and key not in reach.queues:
            out.append(_cannot(named, "queue", reach))
    if step.dead_lettered is not None:
        named = step.dead_lettered
        queue = _queues(stack).get(name_key(named.value))
        if queue is None:
            out.append(_known_queue(stack, named) or Diagnostic("unknown queue", named.at))
        elif queue.dead_letter is None:
            out.append(
                Diagnostic(f"queue {named.value!r} has no deadLetter policy in the manifest", named.at)
            )
        elif name_key(named.value) not in reach.queues:
            out.append(_cannot(named, "queue", reach))
    http = {s.endpoint for s in stack.subscriptions if s.protocol is Protocol.HTTP}
    for named in (*step.pushed_to, *step.not_pushed_to, *(p.endpoint for p in step.pushes)):
        if named.value not in http:
            out.append(
                Diagnostic(f"no http subscription in stack {stack.name!r} pushes to {named.value}", named.at)
            )
    for named in step.pushed_to:
        if named.value in http and named.value not in reach.endpoints:
            out.append(_cannot(named, "endpoint", reach))
    return out


def _cannot(named: Named, kind: str, reach: _Reach) -> Diagnostic:
    key = name_key(named.value) if kind == "queue" else named.value
    why = reach.misses.get(key)
    if why is None:
        why = "no subscription or dead-letter policy leads there"
    return Diagnostic(f"{kind} {named.value!r} cannot receive this message: {reach.origin}; {why}", named.at)
