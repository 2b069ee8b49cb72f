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


@dataclass(frozen=True)
class Send:
    queue: Named
    message: str
    delay_seconds: int
    at: SourceLocation


@dataclass(frozen=True)
class Publish:
    topic: Named
    message: str
    routing_key: str
    tags: tuple[str, ...]
    at: SourceLocation


@dataclass(frozen=True)
class Receive:
    queue: Named
    times: int
    delete: bool
    at: SourceLocation


@dataclass(frozen=True)
class Wait:
    seconds: float
    at: SourceLocation


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


Step = Send | Publish | Receive | Wait | Expect


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
