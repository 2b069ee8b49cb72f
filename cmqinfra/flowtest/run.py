"""Running a test file: each test on its own fresh world, its steps in order, its expectations
judged as (expected lines, actual lines) so a failure shows as a diff."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from cmqinfra.emulator import ApiError, DeliveryMode
from cmqinfra.flowtest.spec import (
    ANY_ERROR,
    Count,
    Delete,
    Expect,
    FlowTest,
    Publish,
    Receive,
    Rewind,
    Send,
    SetQueue,
    Step,
    TestFile,
    Wait,
)
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
            fails = getattr(step, "fails", None)
            try:
                found = _step(world, step)
            except ApiError as exc:
                if fails is None:
                    error = f"{step.at}: the emulator refused this step: {exc.code}: {exc.message}"
                    break
                found = _judge_failure(step.at, fails, exc)
            else:
                if fails is not None:
                    found = _unexpected_success(step.at, fails, found)
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


def _wanted_error(fails: str) -> str:
    return "refused" if fails == ANY_ERROR else f"refused with {fails}"


def _judge_failure(at: SourceLocation, fails: str, exc: ApiError) -> Mismatch | None:
    if fails == ANY_ERROR or exc.code == fails or exc.code.startswith(fails + "."):
        return None
    return Mismatch(at, "the step was refused with another error", (_wanted_error(fails),),
                    (f"refused with {exc.code}: {exc.message}",))


def _unexpected_success(at: SourceLocation, fails: str, found: Mismatch | None) -> Mismatch:
    return Mismatch(at, "the step was expected to be refused", (_wanted_error(fails),), ("succeeded",))


def _step(world: World, step: Step) -> Mismatch | None:
    if isinstance(step, Send):
        world.send(step.queue.value, step.message, step.delay_seconds)
    elif isinstance(step, Publish):
        world.publish(step.topic.value, step.message, step.routing_key, step.tags)
    elif isinstance(step, Receive):
        handed = world.receive(step.queue.value, step.times, step.delete, step.keep)
        return _judge_receive(step, handed)
    elif isinstance(step, Delete):
        world.delete(step.queue.value, step.message)
    elif isinstance(step, Rewind):
        world.rewind(step.queue.value, step.seconds_ago)
    elif isinstance(step, SetQueue):
        world.set_queue(step.queue.value, step.attributes)
    elif isinstance(step, Wait):
        world.wait(step.seconds)
    elif isinstance(step, Count):
        return _judge_count(world, step)
    elif isinstance(step, Expect):
        return _judge(world, step)
    return None


def _judge_receive(step: Receive, handed: list[str]) -> Mismatch | None:
    expected: list[str] = []
    actual: list[str] = []
    if step.expect_messages is not None:
        expected.append(f"handed out {list(step.expect_messages)!r}")
        actual.append(f"handed out {handed!r}")
    if step.expect_count is not None:
        expected.append(f"{step.expect_count} message(s) handed out")
        actual.append(f"{len(handed)} message(s) handed out")
    if expected == actual:
        return None
    return Mismatch(step.at, f"receive from queue {step.queue.value}", tuple(expected), tuple(actual))


def _judge_count(world: World, step: Count) -> Mismatch | None:
    counts = world.backend.counts(step.queue.value)
    have = {
        "visible": counts.active,
        "in flight": counts.inactive,
        "delayed": counts.delayed,
        "in all": counts.active + counts.inactive + counts.delayed,
    }
    wanted = {
        "visible": step.visible,
        "in flight": step.in_flight,
        "delayed": step.delayed,
        "in all": step.total,
    }
    expected = [f"{value} {state}" for state, value in wanted.items() if value is not None]
    actual = [f"{have[state]} {state}" for state, value in wanted.items() if value is not None]
    if expected == actual:
        return None
    return Mismatch(step.at, f"queue {step.queue.value} counts", tuple(expected), tuple(actual))


def _push_format(body: bytes, message: str) -> str:
    try:
        doc = json.loads(body)
    except ValueError:
        return "SIMPLIFIED"
    if isinstance(doc, dict) and doc.get("msgBody") == message and "topicName" in doc:
        return "JSON"
    return "SIMPLIFIED"


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
    if step.state is not None or step.dequeue_count is not None or step.copies is not None:
        copies = world.copies(step.message)
        if step.copies is not None:
            expected.append(f"{step.copies} cop{'y' if step.copies == 1 else 'ies'} held")
            actual.append(f"{len(copies)} cop{'y' if len(copies) == 1 else 'ies'} held")
        for copy_ in copies or [None]:
            where_ = f" in {copy_.queue_lc}" if copy_ is not None else ""
            if step.state is not None:
                expected.append(f"{step.state}{where_}")
                actual.append(f"{copy_.state if copy_ else 'not held'}{where_}")
            if step.dequeue_count is not None:
                expected.append(f"received {step.dequeue_count} time(s){where_}")
                actual.append(f"received {copy_.dequeue_count if copy_ else 0} time(s){where_}")
    for push in step.pushes:
        tries = [p for p in pushes if p.endpoint == push.endpoint.value]
        url = push.endpoint.value
        if push.attempts is not None:
            expected.append(f"{push.attempts} push tr{'y' if push.attempts == 1 else 'ies'} to {url}")
            actual.append(f"{len(tries)} push tr{'y' if len(tries) == 1 else 'ies'} to {url}")
        if push.delivered is not None:
            expected.append(f"{'delivered' if push.delivered else 'not delivered'} to {url}")
            actual.append(f"{'delivered' if any(p.delivered for p in tries) else 'not delivered'} to {url}")
        if push.format is not None:
            formats = sorted({_push_format(p.body, step.message) for p in tries}) or ["nothing pushed"]
            expected.append(f"pushed as {push.format} to {url}")
            actual.append(f"pushed as {'/'.join(formats)} to {url}")
    if expected == actual:
        return None
    where = ", ".join(sorted(holders)) or "no queue"
    return Mismatch(step.at, f"message {step.message!r} (now in: {where})", tuple(expected), tuple(actual))
