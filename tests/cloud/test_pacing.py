"""Pacing at the documented limits: the full allowance per window, stamped when calls go out,
throttling answered by waiting for the window, and a read whose lanes overlap."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cmqinfra.cloud.api import ownership_tags
from cmqinfra.cloud.limiter import SLACK_CEILING, SLACK_FLOOR, SLACK_STEP, WINDOW_SECONDS, RateLimiter
from cmqinfra.cloud.retry import RetryPolicy
from cmqinfra.cloud.target import Target
from cmqinfra.emulator import Emulator, Faults
from cmqinfra.model import Stack, Topic
from cmqinfra.run.targets import open_target as open_api

SPAN = WINDOW_SECONDS + SLACK_FLOOR  # a limiter that has not been refused yet


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter_on(clock: VirtualTime, limit: int = 20) -> RateLimiter:
    return RateLimiter({"A": limit}, clock=clock.clock, sleep=clock.sleep)


def test_the_full_allowance_goes_out_at_once_and_never_more_in_any_window() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock)
    stamps = []
    for _ in range(200):
        limiter.acquire("A")
        stamps.append(clock.now)
    assert limiter.allowance("A") == 20  # the documented limit, no safety margin
    assert stamps[:20] == [0.0] * 20  # a whole window's worth without waiting
    for i in range(len(stamps) - 20):
        assert stamps[i + 20] - stamps[i] >= WINDOW_SECONDS  # never a 21st call within a second
    # ...and no slower than the limit plus the slack: 10 windows of 20 calls.
    assert stamps[-1] == pytest.approx(9 * SPAN)


def test_a_slot_counts_from_when_its_call_goes_out_not_from_when_it_was_reserved() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock, limit=1)
    slot = limiter.reserve("A")
    clock.now = 0.5  # the call waited in a queue before it went out
    slot.spend()
    limiter.reserve("A").spend()
    assert clock.now == pytest.approx(0.5 + SPAN)


def test_a_place_is_handed_on_just_before_it_frees_and_its_call_goes_out_when_it_does() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"A": 1}, clock=clock.clock, sleep=clock.sleep, slack=0.02, lead=0.05)
    limiter.acquire("A")  # stamped at 0: the next place frees at 1.02
    slot = limiter.reserve("A")
    # Handed on the lead early, to be built and signed meanwhile...
    assert clock.now == pytest.approx(0.97)
    assert slot.not_before == pytest.approx(1.02)
    # ...but sent, and stamped, only when the place is free, even by a caller that skips ``wait``.
    slot.spend()
    assert clock.now == pytest.approx(1.02)
    limiter.reserve("A").spend()
    assert clock.now == pytest.approx(2.04)


def test_places_are_handed_on_in_line_each_when_its_own_predecessor_leaves() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"A": 2}, clock=clock.clock, sleep=clock.sleep, slack=0.02, lead=0.05)
    limiter.acquire("A")
    clock.now = 0.3
    limiter.acquire("A")  # the window now holds 0 and 0.3
    first = limiter.reserve("A")
    second = limiter.reserve("A")  # waits for the place the call of 0.3 leaves, not the one of 0
    assert (first.not_before, second.not_before) == pytest.approx((1.02, 1.32))
    assert clock.now == pytest.approx(1.27)


def test_a_reserved_slot_holds_its_place_until_released() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock, limit=2)
    first = limiter.reserve("A")
    limiter.reserve("A").spend()
    first.release()
    limiter.reserve("A").spend()  # the released place is free again: no wait
    assert clock.now == 0.0


def test_a_released_place_is_given_back_once_however_often_it_is_released() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock, limit=2)
    dropped, kept = limiter.reserve("A"), limiter.reserve("A")
    dropped.release()
    dropped.release()  # a second release (an error path run twice) frees nothing more
    dropped.spend()  # nor does a released place count when spent later
    kept.spend()
    limiter.reserve("A").spend()  # the one place the release gave back
    assert clock.now == 0.0
    limiter.reserve("A").spend()  # the window holds two calls: the next waits for the oldest
    assert clock.now == pytest.approx(SPAN)


def test_a_spent_place_counts_once_however_often_it_is_spent_or_released() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock, limit=2)
    sent = limiter.reserve("A")
    sent.spend()
    clock.now = 0.5
    sent.spend()  # written again (a connection retried): still one call in the window, stamped at 0
    sent.release()  # and an error path after it gives nothing back
    assert sent.stamp == 0.0
    limiter.reserve("A").spend()  # the second place of the window
    assert clock.now == 0.5
    limiter.reserve("A").spend()  # the window is full: the next waits for the first call to leave
    assert clock.now == pytest.approx(SPAN)


def test_a_throttled_call_waits_for_room_in_the_window_not_for_a_back_off() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock)
    for i in range(20):
        clock.now = i * 0.01
        limiter.acquire("A")
    clock.now = 0.5
    # Full window: room when the oldest call (sent at 0) leaves it.
    assert limiter.throttled("A") == pytest.approx(SPAN - 0.5)
    sparse = limiter_on(clock)
    sparse.acquire("A")
    # Room already: one slot's share of the window, the pace at which places free up.
    assert sparse.throttled("A") == pytest.approx(SPAN / 20)


def test_a_call_refused_for_the_first_time_keeps_its_place_a_moment_later() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"A": 20}, clock=clock.clock, sleep=clock.sleep, slack=0.02, lead=0.0)
    for _ in range(20):
        limiter.acquire("A")
    refused = limiter.reserve("A")  # a window later, at 1.02
    refused.spend()
    for _ in range(19):
        limiter.acquire("A")
    # The service did not count it (an earlier call arrived late): the retry goes a slot's share
    # of the window from now, not a whole window later...
    retry = limiter.retry_slot(refused)
    assert retry is not None and retry.not_before == pytest.approx(1.02 + 1.02 / 20)
    retry.spend()
    assert clock.now == pytest.approx(1.02 + 1.02 / 20)
    # ...and that place was the retry's alone: the next call still waits for the window.
    assert limiter.reserve("A").not_before == pytest.approx(2.04)


def test_the_slack_is_learned_from_refusals_a_step_each_up_to_its_ceiling() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"A": 20}, clock=clock.clock, sleep=clock.sleep, lead=0.0)
    assert limiter.slack == pytest.approx(SLACK_FLOOR)
    for _ in range(20):
        limiter.acquire("A")
    # A full window: the next place frees a window plus the floor's slack after the first call.
    place = limiter.reserve("A")
    assert place.not_before == pytest.approx(WINDOW_SECONDS + SLACK_FLOOR)
    place.release()
    learned = [SLACK_FLOOR]
    for _ in range(40):
        refused = limiter.reserve("A")
        refused.spend()
        retry = limiter.retry_slot(refused)  # the service refused it: it arrived too early
        assert retry is not None
        retry.spend()
        learned.append(limiter.slack)
    assert learned[1:4] == pytest.approx([SLACK_FLOOR + n * SLACK_STEP for n in (1, 2, 3)])
    assert max(learned) == pytest.approx(SLACK_CEILING) and learned[-1] == pytest.approx(SLACK_CEILING)
    # The learned slack paces every later window of every action.
    clock.now += 10
    for _ in range(20):
        limiter.acquire("A")
    start = clock.now
    assert limiter.reserve("A").not_before == pytest.approx(start + WINDOW_SECONDS + SLACK_CEILING)


def test_a_fixed_slack_is_not_widened_by_refusals() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"A": 20}, clock=clock.clock, sleep=clock.sleep, slack=0.02, lead=0.0)
    refused = limiter.reserve("A")
    refused.spend()
    assert limiter.retry_slot(refused) is not None
    assert limiter.slack == pytest.approx(0.02)


def test_a_refused_call_whose_stamp_has_left_the_window_has_no_place_to_keep() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock)
    refused = limiter.reserve("A")
    refused.spend()
    clock.now = 5.0
    assert limiter.retry_slot(refused) is None


def test_a_call_refused_again_keeps_its_place_for_the_whole_window() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"A": 20}, clock=clock.clock, sleep=clock.sleep, slack=0.02, lead=0.0)
    for _ in range(20):
        limiter.acquire("A")
    for _ in range(20):
        limiter.acquire("A")  # the retry among them, refused again: no slot handed back
    assert limiter.throttled("A") == pytest.approx(1.02 - 0.0)
    assert limiter.reserve("A").not_before == pytest.approx(2.04)


def test_a_throttled_call_counts_the_places_held_for_calls_about_to_go_out() -> None:
    clock = VirtualTime()
    limiter = limiter_on(clock, limit=2)
    limiter.acquire("A")  # sent at 0
    limiter.reserve("A")  # the window's other place, held for a call not yet sent
    clock.now = 0.1
    # No room until the call sent at 0 leaves the window, even though only one was stamped.
    assert limiter.throttled("A") == pytest.approx(SPAN - 0.1)


def test_a_throttled_call_waits_one_share_of_its_own_actions_window() -> None:
    clock = VirtualTime()
    limiter = RateLimiter({"Slow": 5, "Fast": 100}, clock=clock.clock, sleep=clock.sleep)
    limiter.acquire("Slow")
    limiter.acquire("Fast")
    assert limiter.throttled("Slow") == pytest.approx(SPAN / 5)
    assert limiter.throttled("Fast") == pytest.approx(SPAN / 100)


# --------------------------------------------------------------------------- over HTTP


def fill(emu: Emulator, stack: str, topics: int) -> None:
    """Owned topics, created without the documented pacing (the emulator's limits are off)."""
    with open_api(Target.endpoint(emu.url), emu.region, rate_scale=1000) as api:
        for t in range(topics):
            topic = Topic(name=f"t{t:03d}")
            api.create_topic(topic, ownership_tags(topic, stack))


def test_throttled_calls_retry_when_the_window_has_room_not_after_seconds(emulator: Emulator) -> None:
    # The service allows 5/s while the client believes 20/s: most of a burst is refused.
    emulator.rate_limits = True
    emulator.rate_scale = 0.25
    api = open_api(Target.endpoint(emulator.url), emulator.region, parallelism=10)
    # A back-off this long would show at once in the elapsed time.
    api._policy = RetryPolicy(base_seconds=30.0, cap_seconds=30.0)  # type: ignore[attr-defined]
    try:
        started = time.monotonic()
        futures = [api._submit("DescribeCmqTopics", {"Limit": 1}) for _ in range(10)]
        for future in futures:
            future.result()
        elapsed = time.monotonic() - started
        throttled = api.throttled_counts().get("DescribeCmqTopics", 0)
    finally:
        api.close()
    assert throttled > 0
    # 10 calls at 5/s: two windows and short waits; back-offs would wait up to 30 s each
    assert elapsed < 10.0


def test_a_call_is_stamped_once_its_request_is_written_not_when_the_sdk_starts_building_it(
    emulator: Emulator,
) -> None:
    with open_api(Target.endpoint(emulator.url), emulator.region, parallelism=2) as api:
        real = api._tdmq.call_json  # type: ignore[attr-defined]

        def slow_to_build(action: str, params: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            time.sleep(0.3)  # signing and serialising held up (a busy interpreter, a slow host)
            return real(action, params, *args, **kwargs)

        api._tdmq.call_json = slow_to_build  # type: ignore[attr-defined]
        started = time.monotonic()
        api._call("DescribeCmqTopics", {"Limit": 1})  # type: ignore[attr-defined]
        answered = time.monotonic()
        stamp = api._limiter._sent["DescribeCmqTopics"][-1]  # type: ignore[attr-defined]
    # The window counts from when the request left, after the build, not from when it was asked.
    assert started + 0.3 <= stamp <= answered


def test_a_first_refusal_is_retried_on_its_own_place_a_moment_later_not_a_window_later(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="cmqinfra.api")
    limiter = RateLimiter({"DescribeCmqTopics": 2})
    with open_api(Target.endpoint(emulator.url), emulator.region, parallelism=4, limiter=limiter) as api:
        real = api._tdmq.call_json  # type: ignore[attr-defined]
        refused: list[str] = []

        def refuse_first(action: str, params: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            if not refused:  # an earlier call of the window arrived late at the service
                refused.append(action)
                raise TencentCloudSDKException("RequestLimitExceeded", "over the limit", "r-1")
            return real(action, params, *args, **kwargs)

        api._tdmq.call_json = refuse_first  # type: ignore[attr-defined]
        started = time.monotonic()
        first = api._submit("DescribeCmqTopics", {"Limit": 1})  # type: ignore[attr-defined]
        second = api._submit("DescribeCmqTopics", {"Limit": 1})  # type: ignore[attr-defined]
        first.result()
        took = time.monotonic() - started
        second.result()
        assert api.throttled_counts() == {"DescribeCmqTopics": 1}
    # The refusal widened the slack every later window is paced with, by one step, and the API's
    # log says so at debug level.
    assert limiter.slack == pytest.approx(SLACK_FLOOR + SLACK_STEP)
    said = [r.getMessage() for r in caplog.records if "pacing slack" in r.getMessage()]
    assert said == [f"DescribeCmqTopics refused as over the limit: the pacing slack is now "
                    f"{(SLACK_FLOOR + SLACK_STEP) * 1000:.0f} ms"], said
    # A slot's share of the window (about 0.5 s at 2 a second), not the whole window (1 s): the
    # place the refused call had is still its own.
    assert 0.4 <= took < 0.85


def test_subscription_listings_start_before_the_last_topic_page_arrives(emulator: Emulator) -> None:
    fill(emulator, "pipe", topics=120)  # three pages of topics
    with open_api(Target.endpoint(emulator.url), emulator.region, parallelism=4, rate_scale=10) as api:
        # Topic pages are slow to come back: anything waiting for all of them shows.
        emulator.faults = Faults(latency=0.3, actions=frozenset({"DescribeCmqTopics"}))
        events: list[tuple[str, str, float]] = []
        lock = threading.Lock()
        real = api._tdmq.call_json  # type: ignore[attr-defined]

        def logged(action: str, params: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
            with lock:
                events.append((action, "start", time.monotonic()))
            try:
                return real(action, params, *args, **kwargs)
            finally:
                with lock:
                    events.append((action, "end", time.monotonic()))

        api._tdmq.call_json = logged  # type: ignore[attr-defined]
        live = api.read(Stack(name="pipe"))
    assert len(live.topics) == 120
    last_topic_page = max(t for a, e, t in events if a == "DescribeCmqTopics" and e == "end")
    first_listing = min(t for a, e, t in events if a == "DescribeCmqSubscriptionDetail" and e == "start")
    assert first_listing < last_topic_page - 0.2


def test_calls_are_not_refused_at_the_documented_limits(emulator: Emulator) -> None:
    fill(emulator, "busy", topics=160)
    with open_api(Target.endpoint(emulator.url), emulator.region, parallelism=10) as api:
        emulator.rate_limits = True
        emulator.rate_scale = 1.0
        emulator.faults = Faults(latency=0.05)  # the service's own answer time, as in the benchmark
        started = time.monotonic()
        live = api.read(Stack(name="busy"))  # 4 topic pages and 160 subscription listings
        elapsed = time.monotonic() - started
        throttled = dict(api.throttled_counts())
        calls = dict(api.call_counts())
    assert len(live.topics) == 160
    # One listing per topic. A request stalled on a loaded machine for longer than the limiter's
    # slack can still land in the service's previous second (here the emulator shares the
    # client's interpreter, so a busy machine delays arrivals more than in its own process): a
    # few refusals, each retried once, are tolerated; a storm (most of each window refused,
    # as without pacing) is not.
    refused = throttled.get("DescribeCmqSubscriptionDetail", 0)
    assert set(throttled) <= {"DescribeCmqSubscriptionDetail"} and refused <= 160 // 10, throttled
    assert calls["DescribeCmqSubscriptionDetail"] == 160 + refused
    # 160 listings at 20/s: the last window opens after 7 full ones. The exact pace is pinned by
    # the fake-clock tests above; over HTTP on shared cores only the order of magnitude is: no
    # back-off storm, no serialised lanes.
    assert elapsed < 2 * 7 * SPAN
