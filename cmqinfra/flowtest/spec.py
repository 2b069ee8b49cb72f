"""A test file as frozen values, every step and expectation with where it was written."""

from __future__ import annotations

from dataclasses import dataclass, field

from cmqinfra.model import SourceLocation

TEST_SUFFIXES = (".cmqtest.yaml", ".cmqtest.yml")


@dataclass(frozen=True)
class Named:
    """A name written in the test file (a queue, an endpoint) and where."""

    value: str
    at: SourceLocation


ANY_ERROR = "*"  # `fails: true`: the step must be refused, whatever the error code


@dataclass(frozen=True)
class Send:
    queue: Named
    message: str
    delay_seconds: int
    at: SourceLocation
    fails: str | None = None  # the error code the step must be refused with (ANY_ERROR: any)


@dataclass(frozen=True)
class Publish:
    topic: Named
    message: str
    routing_key: str
    tags: tuple[str, ...]
    at: SourceLocation
    fails: str | None = None


@dataclass(frozen=True)
class Receive:
    queue: Named
    times: int
    delete: bool
    at: SourceLocation
    keep: bool = False  # neither delete nor let the visibility timeout pass: left in flight
    expect_messages: tuple[str, ...] | None = None  # the bodies handed out, in order
    expect_count: int | None = None  # how many were handed out in all
    fails: str | None = None


@dataclass(frozen=True)
class Delete:
    """DeleteMessage with the latest receipt handle this test received for the message."""

    queue: Named
    message: str
    at: SourceLocation
    fails: str | None = None


@dataclass(frozen=True)
class Rewind:
    queue: Named
    seconds_ago: float | None  # None: back to the start of the test
    at: SourceLocation
    fails: str | None = None


@dataclass(frozen=True)
class SetQueue:
    """ModifyCmqQueueAttribute mid-test: API 3.0 field names and values."""

    queue: Named
    attributes: tuple[tuple[str, int], ...]
    at: SourceLocation
    fails: str | None = None


@dataclass(frozen=True)
class Wait:
    seconds: float
    at: SourceLocation


@dataclass(frozen=True)
class Count:
    """How many messages a queue holds now, by state (only the states given are checked)."""

    queue: Named
    at: SourceLocation
    visible: int | None = None
    in_flight: int | None = None
    delayed: int | None = None
    total: int | None = None


@dataclass(frozen=True)
class PushExpect:
    endpoint: Named
    attempts: int | None = None
    delivered: bool | None = None
    format: str | None = None  # JSON or SIMPLIFIED, judged from the body pushed


@dataclass(frozen=True)
class Expect:
    message: str
    at: SourceLocation
    message_at: SourceLocation
    in_queues: tuple[Named, ...] = ()
    not_in: tuple[Named, ...] = ()
    dead_lettered: Named | None = None
    pushed_to: tuple[Named, ...] = ()
    not_pushed_to: tuple[Named, ...] = ()
    state: str | None = None  # visible, inFlight or delayed: every copy held
    dequeue_count: int | None = None  # every copy held
    copies: int | None = None  # copies held in all queues (a redelivery makes two)
    pushes: tuple[PushExpect, ...] = ()


Step = Send | Publish | Receive | Delete | Rewind | SetQueue | Wait | Count | Expect


@dataclass(frozen=True)
class FlowTest:
    name: str
    steps: tuple[Step, ...]
    at: SourceLocation


@dataclass(frozen=True)
class TestFile:
    __test__ = False  # not a pytest test class, whatever its name

    path: str
    manifests: tuple[str, ...]
    tests: tuple[FlowTest, ...]
    http_endpoints: tuple[tuple[str, tuple[int, ...]], ...] = field(default=())

    def endpoint_statuses(self, url: str) -> tuple[int, ...]:
        return dict(self.http_endpoints).get(url, (200,))
