"""Seeded generator of mixed manifests for the reliability tests.

Each trial gets a pair of stack versions: ``v1`` exercises every kind of resource (dead
letters with both policies, a transaction queue, routing-key and tag topics, queue and http
subscriptions, tags) and ``v2`` turns it into every kind of change (updates, replaces forced
by ``maxMsgSize`` / ``filterType`` / ``endpoint`` / ``protocol``, deletes, creates, a removed
dead letter, cleared filter tags). The structure is fixed so every trial covers every change
kind; the seed varies names and values so trials do not all look alike.

Desired state is expressed in the model's own types (``Stack``), rendered to the manifest
YAML users write, so the checker compares the live account against the same value.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from cmqinfra.model import (
    DeadLetter,
    FilterType,
    NotifyContentFormat,
    NotifyStrategy,
    Protocol,
    Queue,
    Stack,
    Subscription,
    Topic,
    Transaction,
    manifest_key,
)


@dataclass(frozen=True)
class Versions:
    """The two versions of one stack a trial applies in turn."""

    v1: Stack
    v2: Stack


def mixed_stack(stack: str, seed: int) -> Versions:
    """About 15 resources in v1 and as many in v2, names prefixed so stacks never collide."""
    rnd = random.Random(seed)
    p = f"{stack}-"

    def n(base: str) -> str:
        return f"{p}{base}"

    dlq = Queue(name=n("dead"), tags=(("team", "ops"),))
    dlq_ttl = Queue(name=n("dead-ttl"))
    orders = Queue(
        name=n("orders"),
        visibility_timeout=rnd.randint(31, 600),
        msg_retention_seconds=rnd.choice([3600, 7200]),
        dead_letter=DeadLetter(queue=dlq.name, max_receive_count=rnd.randint(2, 9)),
        tags=(("team", "payments"),),
    )
    billing = Queue(
        name=n("billing"),
        msg_retention_seconds=3600,
        dead_letter=DeadLetter(queue=dlq_ttl.name, max_time_to_live=rnd.choice([600, 900])),
    )
    sized = Queue(name=n("sized"), max_msg_size=rnd.choice([65536, 131072]))
    txn = Queue(name=n("txn"), transaction=Transaction(first_query_interval=10, max_query_count=5))
    doomed_q = Queue(name=n("doomed"), polling_wait_seconds=rnd.randint(1, 10))
    fan_a = Queue(name=n("fan-a"))
    fan_b = Queue(name=n("fan-b"))

    events = Topic(name=n("events"), filter_type=FilterType.ROUTING_KEY, tags=(("team", "payments"),))
    alerts = Topic(name=n("alerts"), filter_type=FilterType.TAG, max_msg_size=65536)
    flip = Topic(name=n("flip"), filter_type=FilterType.TAG)
    doomed_t = Topic(name=n("gone"), filter_type=FilterType.ROUTING_KEY)

    sub_a = Subscription(
        topic=events.name,
        name="to-a",
        protocol=Protocol.QUEUE,
        endpoint=fan_a.name,
        binding_keys=("order.*.created", "order.#"),
    )
    sub_b = Subscription(
        topic=events.name,
        name="to-b",
        protocol=Protocol.QUEUE,
        endpoint=fan_b.name,
        binding_keys=("order.paid",),
    )
    hook = Subscription(
        topic=alerts.name,
        name="hook",
        protocol=Protocol.HTTP,
        endpoint=f"https://hooks.example.com/{rnd.randint(1, 999)}",
        notify_strategy=NotifyStrategy.BACKOFF_RETRY,
        notify_content_format=NotifyContentFormat.JSON,
        filter_tags=("red", "amber"),
    )
    tagged = Subscription(
        topic=alerts.name,
        name="tagged",
        protocol=Protocol.QUEUE,
        endpoint=fan_a.name,
        filter_tags=("red",),
    )
    gone_sub = Subscription(
        topic=doomed_t.name,
        name="old",
        protocol=Protocol.QUEUE,
        endpoint=fan_b.name,
        binding_keys=("x.#",),
    )
    v1 = Stack(
        name=stack,
        queues=(dlq, dlq_ttl, orders, billing, sized, txn, doomed_q, fan_a, fan_b),
        topics=(events, alerts, flip, doomed_t),
        subscriptions=(sub_a, sub_b, hook, tagged, gone_sub),
    )

    fresh = Queue(name=n("fresh"), visibility_timeout=rnd.randint(40, 90), tags=(("new", "yes"),))
    v2 = Stack(
        name=stack,
        queues=(
            replace(dlq, tags=(("team", "platform"),)),  # tag change through the Tag service
            dlq_ttl,
            replace(
                orders,
                visibility_timeout=orders.visibility_timeout + 7,  # update
                dead_letter=replace(orders.dead_letter, max_receive_count=12),  # dead-letter update
            ),
            replace(billing, dead_letter=None),  # UnbindCmqDeadLetter
            replace(sized, max_msg_size=262144),  # replace (maxMsgSize)
            txn,
            fan_a,
            fan_b,
            fresh,  # create; doomed_q is deleted
        ),
        topics=(
            events,
            replace(alerts, max_msg_size=32768),  # update
            replace(flip, filter_type=FilterType.ROUTING_KEY),  # replace (filterType)
            # doomed_t and its subscription are deleted
        ),
        subscriptions=(
            replace(sub_a, binding_keys=("order.#",)),  # update
            replace(sub_b, endpoint=fresh.name),  # replace (endpoint)
            replace(hook, filter_tags=(), notify_strategy=NotifyStrategy.EXPONENTIAL_DECAY_RETRY),
            # tagged is deleted
            Subscription(
                topic=events.name,
                name="to-fresh",
                protocol=Protocol.QUEUE,
                endpoint=fresh.name,
                binding_keys=("#",),
            ),  # create
        ),
    )
    return Versions(v1=v1, v2=v2)


def small_stack(stack: str, queues: int = 4) -> Stack:
    """A few plain queues and one topic: for tests that need a stack but not every change kind."""
    qs = tuple(Queue(name=f"{stack}-q{i}", visibility_timeout=30 + i) for i in range(queues))
    topic = Topic(name=f"{stack}-t", filter_type=FilterType.TAG)
    sub = Subscription(topic=topic.name, name="s", protocol=Protocol.QUEUE, endpoint=qs[0].name)
    return Stack(name=stack, queues=qs, topics=(topic,), subscriptions=(sub,))


def _attributes(resource: object, skip: tuple[str, ...]) -> dict[str, object]:
    """The manifest mapping of one resource: set attributes only, camelCase keys."""
    from dataclasses import fields

    out: dict[str, object] = {}
    for f in fields(resource):  # type: ignore[arg-type]
        if not f.compare or f.name in skip:
            continue
        value = getattr(resource, f.name)
        if value is None or value == () or (f.name == "protect" and value is False):
            continue
        key = manifest_key(f.name, f.metadata)
        if isinstance(value, DeadLetter):
            dl: dict[str, object] = {"queue": value.queue}
            if value.max_receive_count is not None:
                dl["maxReceiveCount"] = value.max_receive_count
            if value.max_time_to_live is not None:
                dl["maxTimeToLive"] = value.max_time_to_live
            out[key] = dl
        elif isinstance(value, Transaction):
            out[key] = {
                "firstQueryInterval": value.first_query_interval,
                "maxQueryCount": value.max_query_count,
            }
        elif f.name == "tags":
            out[key] = dict(value)
        elif isinstance(value, tuple):
            out[key] = list(value)
        elif hasattr(value, "value"):  # str enums
            out[key] = value.value
        else:
            out[key] = value
    return out


def render(stack: Stack) -> str:
    """The manifest YAML for ``stack``, in the format users write by hand."""
    doc: dict[str, object] = {"stack": stack.name}
    if stack.region:
        doc["region"] = stack.region
    if stack.queues:
        doc["queues"] = {q.name: _attributes(q, ("name",)) for q in stack.queues}
    if stack.topics:
        topics: dict[str, object] = {}
        for t in stack.topics:
            body = _attributes(t, ("name",))
            subs = {
                s.name: _attributes(s, ("name", "topic")) for s in stack.subscriptions if s.topic == t.name
            }
            if subs:
                body["subscriptions"] = subs
            topics[t.name] = body
        doc["topics"] = topics
    return yaml.safe_dump(doc, sort_keys=False)


def write(stack: Stack, directory: Path, name: str = "stack.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(render(stack))
    return path


def resource_count(stack: Stack) -> int:
    return len(stack.queues) + len(stack.topics) + len(stack.subscriptions)


def load_desired(path: Path, generated: Stack) -> Stack:
    """The stack as cmqinfra itself reads ``path`` (documented defaults filled in), after
    checking it agrees with every attribute the generator set. The judge compares live state
    with this, so "equals the manifest" includes the defaults an omitted attribute reverts to."""
    from dataclasses import fields

    from cmqinfra.manifest import load_stack

    result = load_stack([path])
    errors = [d.render() for d in result.diagnostics if d.severity.value == "error"]
    assert not errors and result.stack is not None, errors
    loaded = result.stack
    pairs = [
        (want, {r.address: r for r in getattr(loaded, kind)}.get(want.address))
        for kind in ("queues", "topics", "subscriptions")
        for want in getattr(generated, kind)
    ]
    assert len({r.address for r in (*loaded.queues, *loaded.topics, *loaded.subscriptions)}) == len(pairs)
    for want, got in pairs:
        assert got is not None, f"{want.address} missing from the loaded manifest"
        for f in fields(want):
            value = getattr(want, f.name)
            if f.compare and value is not None and value != ():
                other = getattr(got, f.name)
                if isinstance(value, tuple) and f.name != "tags":
                    value, other = sorted(value), sorted(other)
                assert other == value, f"{want.address}.{f.name}: loaded {other!r}, generated {value!r}"
    return loaded


def materialize(stack: Stack, directory: Path) -> tuple[Path, Stack]:
    """Write the manifest for ``stack`` and return it with the stack cmqinfra reads from it."""
    path = write(stack, directory)
    return path, load_desired(path, stack)
