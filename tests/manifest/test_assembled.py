"""The model values the loader assembles without their ``__init__`` are the ones it would make."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any

from cmqinfra.manifest import LoadResult
from cmqinfra.manifest.source import _COLUMNS, _loc, parse_text
from cmqinfra.model import Queue, Topic, assembled

MANIFEST = """
stack: shop
queues:
  plain: {}
  dlq: {}
  work:
    visibilityTimeout: 45
    rewindSeconds: 600
    retentionSizeInMB: 20480
    trace: true
    transaction: {firstQueryInterval: 5, maxQueryCount: 3}
    deadLetter: {queue: dlq, maxReceiveCount: 4}
    tags: {team: a, env: prod}
    protect: true
    policyExceptions:
      - {policy: queue-needs-dead-letter, reason: "it is the dead letter"}
topics:
  events:
    filterType: routingKey
    tags: {team: a}
    subscriptions:
      to-work: {protocol: queue, endpoint: work, bindingKeys: [a.b, c.*]}
      hook:
        protocol: http
        endpoint: https://example.com/hook
        notifyStrategy: EXPONENTIAL_DECAY_RETRY
  tagged:
    subscriptions:
      by-tag: {protocol: queue, endpoint: plain, filterTags: [x, y]}
"""


def same_as_constructed(value: Any) -> None:
    cls = type(value)
    names = [f.name for f in fields(cls)]
    # Every field set, nothing else: a field the fast path forgot (or misspelt) fails here.
    assert list(vars(value)) == names
    made = cls(**{name: getattr(value, name) for name in names})
    assert made == value and hash(made) == hash(value) and repr(made) == repr(value)
    assert [getattr(made, n) for n in names] == [getattr(value, n) for n in names]


def test_every_loaded_resource_is_what_its_constructor_makes(load: Callable[..., LoadResult]) -> None:
    result = load(MANIFEST)
    assert result.stack is not None, [d.render() for d in result.diagnostics]
    stack = result.stack
    assert len(stack.queues) == 3 and len(stack.topics) == 2 and len(stack.subscriptions) == 3
    for resource in (*stack.queues, *stack.topics, *stack.subscriptions):
        same_as_constructed(resource)
        assert resource.source is not None
        same_as_constructed(resource.source)
    work = next(q for q in stack.queues if q.name == "work")
    assert (work.source.line, work.source.column) == (6, 3)
    hook = next(s for s in stack.subscriptions if s.name == "hook")
    assert (hook.source.line, hook.source.column) == (23, 7)


def test_a_mark_s_location_is_the_one_every_other_path_gives() -> None:
    parsed, problems = parse_text("f.yaml", MANIFEST)
    assert parsed is not None and not problems
    for mark in (0, 5, _COLUMNS - 1, _COLUMNS, 7 * _COLUMNS + 3, 12_345 * _COLUMNS + 678):
        fast = parsed.location(mark)
        assert fast == _loc("f.yaml", mark)
        same_as_constructed(fast)


def test_assembled_equals_the_constructor() -> None:
    for cls, values in (
        (Queue, {f.name: f.default for f in fields(Queue)} | {"name": "q"}),
        (Topic, {f.name: f.default for f in fields(Topic)} | {"name": "t"}),
    ):
        made = assembled(cls, values)
        assert made == cls(**values)
        same_as_constructed(made)
