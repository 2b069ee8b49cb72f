"""Running a test file: each test on its own fresh world, its steps in order, its expectations
judged as (expected lines, actual lines) so a failure shows as a diff."""

from __future__ import annotations

import time
from dataclasses import dataclass

from cmqinfra.emulator import ApiError, DeliveryMode
from cmqinfra.flowtest.spec import Expect, FlowTest, Publish, Receive, Send, Step, TestFile, Wait
from cmqinfra.flowtest.world import World
from cmqinfra.live import name_key
from cmqinfra.model import SourceLocation, Stack


@dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold, and what was expected against what is."""

    at: SourceLocation
    message: str
    expected: tuple[str, ...]
    actual: tuple[str, ...]


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class, whatever its name

    file: str
    name: str
    at: SourceLocation
    seconds: float
    virtual_seconds: float
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None  # a step the emulator refused, with where

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None


def run_file(
    test_file: TestFile, stack: Stack, delivery: DeliveryMode | None = None
) -> tuple[TestResult, ...]:
    return tuple(run_test(test_file, test, stack, delivery) for test in test_file.tests)


def run_test(
    test_file: TestFile, test: FlowTest, stack: Stack, delivery: DeliveryMode | None = None
) -> TestResult:
    started = time.perf_counter()
    mismatches: list[Mismatch] = []
    error: str | None = None
    with World(stack, test_file.http_endpoints, delivery) as world:
        begin = world.clock.now()
        for step in test.steps:
            try:
                found = _step(world, step)
            except ApiError as exc:
                error = f"{step.at}: the emulator refused this step: {exc.code}: {exc.message}"
                break
            if found is not None:
                mismatches.append(found)
        virtual = world.clock.now() - begin
    return TestResult(
        file=test_file.path,
        name=test.name,
        at=test.at,
        seconds=time.perf_counter() - started,
        virtual_seconds=virtual,
        mismatches=tuple(mismatches),
        error=error,
    )


def _step(world: World, step: Step) -> Mismatch | None:
    if isinstance(step, Send):
        world.send(step.queue.value, step.message, step.delay_seconds)
    elif isinstance(step, Publish):
        world.publish(step.topic.value, step.message, step.routing_key, step.tags)
    elif isinstance(step, Receive):
        world.receive(step.queue.value, step.times, step.delete)
    elif isinstance(step, Wait):
        world.wait(step.seconds)
    elif isinstance(step, Expect):
        return _judge(world, step)
    return None


def _held(name: str, holds: bool) -> str:
    return f"queue {name} {'holds' if holds else 'does not hold'} it"


def _judge(world: World, step: Expect) -> Mismatch | None:
    holders = world.holders(step.message)
    pushes = world.pushes(step.message)
    expected: list[str] = []
    actual: list[str] = []
    for named in step.in_queues:
        expected.append(_held(named.value, True))
        actual.append(_held(named.value, name_key(named.value) in holders))
    for named in step.not_in:
        expected.append(_held(named.value, False))
        actual.append(_held(named.value, name_key(named.value) in holders))
    if step.dead_lettered is not None:
        source = step.dead_lettered.value
        declared = world.queue(source)
        dlq = (
            declared.dead_letter.queue if declared is not None and declared.dead_letter is not None else None
        )
        if dlq is not None:
            expected.append(f"queue {source}'s dead-letter queue {dlq} holds it")
            verb = "holds" if name_key(dlq) in holders else "does not hold"
            actual.append(f"queue {source}'s dead-letter queue {dlq} {verb} it")
        expected.append(_held(source, False))
        actual.append(_held(source, name_key(source) in holders))
    for named, wanted in [(n, True) for n in step.pushed_to] + [(n, False) for n in step.not_pushed_to]:
        tries = [p for p in pushes if p.endpoint == named.value]
        delivered = any(p.delivered for p in tries)
        expected.append(f"pushed to {named.value}" if wanted else f"not pushed to {named.value}")
        got = f"pushed to {named.value}" if delivered else f"not pushed to {named.value}"
        if wanted and not delivered:
            statuses = ", ".join("no answer" if p.status is None else str(p.status) for p in tries)
            got += f" (tries: {statuses or 'none'})"
        actual.append(got)
    if expected == actual:
        return None
    where = ", ".join(sorted(holders)) or "no queue"
    return Mismatch(step.at, f"message {step.message!r} (now in: {where})", tuple(expected), tuple(actual))
