"""The read of what a stack owns starts from its name, before the manifest is loaded."""

from __future__ import annotations

import gc
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cmqinfra.cloud.api import ownership_tags
from cmqinfra.cloud.tdmq import PAGE, TdmqApi
from cmqinfra.emulator import Emulator, Faults
from cmqinfra.live import name_key
from cmqinfra.manifest.peek import Heading, peek
from cmqinfra.model import Protocol, Queue, Stack, Subscription, Topic
from cmqinfra.run.overlap import read_while_loading
from cmqinfra.run.session import compute

OWNED = Stack(
    name="shop",
    queues=(Queue("orders"),),
    topics=(Topic("events"),),
    subscriptions=(Subscription("events", "billing", Protocol.QUEUE, "orders"),),
)


def build(api: TdmqApi) -> None:
    for queue in (*OWNED.queues, Queue("adopt-me")):
        api.create_queue(queue, ownership_tags(queue, "shop") if queue.name == "orders" else ())
    api.create_topic(OWNED.topics[0], ownership_tags(OWNED.topics[0], "shop"))
    api.create_subscription(OWNED.subscriptions[0])


def test_owned_resources_are_listed_before_the_stack_is_known(api: TdmqApi) -> None:
    build(api)
    before = dict(api.call_counts())
    seen_while_loading: dict[str, int] = {}

    def load() -> Stack:
        # the owned queue and topic pages and the owned topic's subscriptions, while "parsing"
        deadline = time.monotonic() + 10
        wanted = ("DescribeCmqQueues", "DescribeCmqTopics", "DescribeCmqSubscriptionDetail")
        while time.monotonic() < deadline:
            counts = api.call_counts()
            if all(counts.get(a, 0) > before.get(a, 0) for a in wanted):
                break
            time.sleep(0.01)
        seen_while_loading.update(api.call_counts())
        # the manifest also names a queue the stack does not own yet: looked up after the load
        return Stack(
            name="shop",
            queues=(*OWNED.queues, Queue("adopt-me")),
            topics=OWNED.topics,
            subscriptions=OWNED.subscriptions,
        )

    stack, live = read_while_loading(api, "shop", load)
    assert seen_while_loading.get("DescribeCmqSubscriptionDetail", 0) > before.get(
        "DescribeCmqSubscriptionDetail", 0
    )
    assert live == api.read(stack)
    assert live.queues[name_key("orders")].owner == "shop"
    assert live.queues[name_key("adopt-me")].owner is None
    assert (name_key("events"), "billing") in live.subscriptions


def test_a_read_started_for_another_name_is_thrown_away(api: TdmqApi) -> None:
    build(api)
    live = api.start_read("not-shop").finish(OWNED)
    assert live == api.read(OWNED)
    assert live.queues[name_key("orders")].owner == "shop"


def test_a_manifest_that_fails_to_load_abandons_the_read(api: TdmqApi) -> None:
    build(api)

    def load() -> Stack:
        raise ValueError("the manifest did not load")

    with pytest.raises(ValueError, match="did not load"):
        read_while_loading(api, "shop", load)
    settled = dict(api.call_counts())
    time.sleep(0.2)
    assert api.call_counts() == settled  # nothing still running behind our back


def test_an_abandoned_read_sends_no_further_page(api: TdmqApi, emulator: Emulator) -> None:
    for i in range(2 * PAGE + 1):  # three pages of owned queues
        queue = Queue(f"q{i:03d}")
        api.create_queue(queue, ownership_tags(queue, "shop"))
    # The read also sends the untagged count's one-item listings with its first pages: measure
    # what they cost on their own, so that what is left is the owned queues' pages.
    counted = api.call_counts().get("DescribeCmqQueues", 0)
    api.count_untagged()()
    count_calls = api.call_counts()["DescribeCmqQueues"] - counted
    emulator.faults = Faults(latency=0.3, actions=frozenset({"DescribeCmqQueues"}))
    before = api.call_counts()["DescribeCmqQueues"]

    def load() -> Stack:
        time.sleep(0.1)  # the first page is on its way
        raise ValueError("the manifest did not load")

    try:
        with pytest.raises(ValueError, match="did not load"):
            read_while_loading(api, "shop", load)
        time.sleep(0.5)  # the first page has arrived: its follow-up pages would be out by now
    finally:
        emulator.faults = Faults()
    assert api.call_counts()["DescribeCmqQueues"] - before - count_calls == 1


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_peek_reads_the_top_level_lines_every_file_agrees_on(tmp_path: Path) -> None:
    write(
        tmp_path / "a.yaml",
        "# a comment\nstack: shop   # the owner\nregion: 'ap-shanghai'\nqueues:\n  stack: {}\n",
    )
    write(tmp_path / "b.yml", 'stack: "shop"\ntopics: {}\n')
    assert peek([tmp_path]) == Heading("shop", "ap-shanghai")
    write(tmp_path / "c.yaml", "stack: other\n")
    assert peek([tmp_path]) == Heading(None, "ap-shanghai")  # files disagree: the load will say so


def test_peek_makes_no_guess_it_cannot_back(tmp_path: Path) -> None:
    assert peek([write(tmp_path / "flow.yaml", "{stack: shop, queues: {}}\n")]) == Heading(None, None)
    assert peek([write(tmp_path / "nested.yaml", "queues:\n  stack: {}\n")]) == Heading(None, None)
    assert peek([tmp_path / "missing.yaml"]) == Heading(None, None)


def test_the_load_starts_once_the_topic_pages_have_started_the_listings(
    api: TdmqApi, emulator: Emulator
) -> None:
    build(api)
    emulator.faults = Faults(latency=0.5, actions=frozenset({"DescribeCmqTopics"}))
    started = time.monotonic()
    load_began: list[float] = []

    def load() -> Stack:
        load_began.append(time.monotonic() - started)
        return OWNED

    read_while_loading(api, "shop", load)
    # The load would hold the interpreter while the first listings are built and sent: it waits
    # for the first topic page (answered half a second later here).
    assert load_began[0] >= 0.45


def test_the_read_gets_the_interpreter_sooner_while_the_manifest_loads(api: TdmqApi) -> None:
    build(api)
    default = sys.getswitchinterval()
    during: list[float] = []

    def load() -> Stack:
        during.append(sys.getswitchinterval())
        return OWNED

    read_while_loading(api, "shop", load)
    assert during[0] < default / 5
    assert sys.getswitchinterval() == default

    def broken() -> Stack:
        raise ValueError("the manifest did not load")

    with pytest.raises(ValueError):
        read_while_loading(api, "shop", broken)
    assert sys.getswitchinterval() == default  # restored on a failed load too


def test_no_garbage_collection_runs_while_the_read_waits(api: TdmqApi) -> None:
    build(api)
    enabled: list[bool] = []
    real = api._tdmq.call_json  # type: ignore[attr-defined]

    loaded = threading.Event()

    def watched(action: str, params: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        if action == "DescribeCmqSubscriptionDetail":
            # The listing may be due before the load is over; it is held until then, and until
            # the read is waited for (the collector paused, or 5 s when nothing pauses it), so
            # what it sees does not depend on how the threads were scheduled.
            loaded.wait(5)
            deadline = time.monotonic() + 5
            while gc.isenabled() and time.monotonic() < deadline:
                time.sleep(0.001)
            enabled.append(gc.isenabled())
        return real(action, params, *args, **kwargs)

    def load() -> Stack:
        loaded.set()
        return OWNED

    api._tdmq.call_json = watched  # type: ignore[attr-defined]
    read_while_loading(api, "shop", load)
    assert enabled == [False]  # the one listing, answered while the read was waited for
    assert gc.isenabled()


def test_the_untagged_count_is_read_with_the_stack_and_planning_adds_no_calls(api: TdmqApi) -> None:
    build(api)  # "adopt-me" carries no ownership tag
    live = api.read(OWNED)
    assert live.untagged_total == 1
    before = dict(api.call_counts())
    plan = compute(OWNED, api, api.region, live=live)
    assert dict(api.call_counts()) == before
    assert any("untagged" in w.message for w in plan.warnings)
