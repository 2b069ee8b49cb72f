"""The read of what a stack owns starts from its name, before the manifest is loaded.

A PATH is a project of one unit: the CLI reads every unit through ``resolve_while_reading``
(cmqinfra/run/early_reads.py), here on one unit whose manifest names the stack ``shop``, against the
emulator through the real SDK. ``resolve`` stands in for the project's resolve (the manifests'
load) so that a test can watch what the read sends meanwhile, or make the load fail."""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from cmqinfra.cloud.api import ownership_tags
from cmqinfra.cloud.tdmq import PAGE, TdmqApi
from cmqinfra.emulator import Emulator, Faults
from cmqinfra.live import name_key
from cmqinfra.manifest.peek import Heading, peek
from cmqinfra.model import Protocol, Queue, Stack, Subscription, Topic
from cmqinfra.project import load_project
from cmqinfra.project.resolve import ResolvedUnit, resolve_all
from cmqinfra.project.units import Project, StackUnit
from cmqinfra.run.connections import Connections
from cmqinfra.run.early_reads import resolve_while_reading
from cmqinfra.run.runner import UnitPlan, plan_project
from cmqinfra.run.session import TargetOptions, compute

OWNED = Stack(
    name="shop",
    queues=(Queue("orders"),),
    topics=(Topic("events"),),
    subscriptions=(Subscription("events", "billing", Protocol.QUEUE, "orders"),),
)
# The manifest also names a queue the stack does not own yet: looked up after the load.
MANIFEST = (
    "stack: shop\nqueues:\n  orders: {}\n  adopt-me: {}\ntopics:\n  events:\n    subscriptions:\n"
    "      billing: {protocol: queue, endpoint: orders}\n"
)
Resolve = Callable[[Project, Sequence[StackUnit]], list[ResolvedUnit]]


def build(api: TdmqApi) -> None:
    for queue in (*OWNED.queues, Queue("adopt-me")):
        api.create_queue(queue, ownership_tags(queue, "shop") if queue.name == "orders" else ())
    api.create_topic(OWNED.topics[0], ownership_tags(OWNED.topics[0], "shop"))
    api.create_subscription(OWNED.subscriptions[0])


@contextmanager
def one_unit(emulator: Emulator, root: Path) -> Iterator[tuple[Project, TargetOptions, Connections]]:
    """A project of one unit, ``shop``, on the emulator: what a PATH on the command line becomes."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "cmqinfra.yaml").write_text("environments:\n  dev: {}\nstacks:\n  shop: {path: shop}\n")
    (root / "shop").mkdir(exist_ok=True)
    (root / "shop" / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    options = TargetOptions(endpoint=emulator.url, region=emulator.region)
    connections = Connections(options, root)
    try:
        yield load_project(root), options, connections
    finally:
        connections.close()


def plan_while_resolving(emulator: Emulator, root: Path, resolve: Resolve = resolve_all) -> list[UnitPlan]:
    """The CLI's read of a one-unit project: started from the manifest's ``stack:`` line, then
    the resolve, then the plan (which takes the read over)."""
    with one_unit(emulator, root) as (project, options, connections):
        resolved, early = resolve_while_reading(project, project.units(), options, connections, resolve)
        items, _ = plan_project(resolved, options, connections, early=early)
    return items


def resolve_failing(emulator: Emulator, root: Path, resolve: Resolve, settle: float) -> tuple[int, int]:
    """A resolve that fails: ``resolve_while_reading`` itself must stop the reads it started (the
    connections stay open meanwhile). The DescribeCmqQueues calls when it failed and ``settle``
    seconds later."""
    with one_unit(emulator, root) as (project, options, connections):
        with pytest.raises(ValueError, match="did not load"):
            resolve_while_reading(project, project.units(), options, connections, resolve)
        failed = emulator.call_counts().get("DescribeCmqQueues", 0)
        time.sleep(settle)
        return failed, emulator.call_counts().get("DescribeCmqQueues", 0)


def failing(before: Callable[[], None] = lambda: None) -> Resolve:
    def resolve(project: Project, units: Sequence[StackUnit]) -> list[ResolvedUnit]:
        before()
        raise ValueError("the manifest did not load")

    return resolve


def test_owned_resources_are_listed_before_the_stack_is_known(
    api: TdmqApi, emulator: Emulator, tmp_path: Path
) -> None:
    build(api)
    before = dict(emulator.call_counts())
    seen_while_loading: dict[str, int] = {}
    loaded: list[ResolvedUnit] = []

    def resolve(project: Project, units: Sequence[StackUnit]) -> list[ResolvedUnit]:
        # the owned queue and topic pages and the owned topic's subscriptions, while "parsing"
        deadline = time.monotonic() + 10
        wanted = ("DescribeCmqQueues", "DescribeCmqTopics", "DescribeCmqSubscriptionDetail")
        while time.monotonic() < deadline:
            counts = emulator.call_counts()
            if all(counts.get(a, 0) > before.get(a, 0) for a in wanted):
                break
            time.sleep(0.01)
        seen_while_loading.update(emulator.call_counts())
        loaded.extend(resolve_all(project, units))
        return loaded

    [item] = plan_while_resolving(emulator, tmp_path / "repo", resolve)
    assert seen_while_loading.get("DescribeCmqSubscriptionDetail", 0) > before.get(
        "DescribeCmqSubscriptionDetail", 0
    )
    assert item.error is None and item.plan is not None, item.error
    desired = loaded[0].stack
    assert desired is not None
    assert item.plan.changes == compute(desired, api, api.region).changes  # as a read after the load
    assert [(c.name, c.action.value) for c in item.plan.changes if c.action.value != "no-op"] == [
        ("adopt-me", "adopt")
    ]
    live = api.read(desired)
    assert live.queues[name_key("orders")].owner == "shop"
    assert live.queues[name_key("adopt-me")].owner is None
    assert (name_key("events"), "billing") in live.subscriptions


def test_a_read_started_for_another_name_is_thrown_away(api: TdmqApi) -> None:
    build(api)
    live = api.start_read("not-shop").finish(OWNED)
    assert live == api.read(OWNED)
    assert live.queues[name_key("orders")].owner == "shop"


def test_a_manifest_that_fails_to_load_abandons_the_read(
    api: TdmqApi, emulator: Emulator, tmp_path: Path
) -> None:
    build(api)
    failed, later = resolve_failing(emulator, tmp_path / "repo", failing(), 0.2)
    assert later == failed  # nothing still running behind our back


def test_an_abandoned_read_sends_no_further_page(api: TdmqApi, emulator: Emulator, tmp_path: Path) -> None:
    for i in range(2 * PAGE + 1):  # three pages of owned queues
        queue = Queue(f"q{i:03d}")
        api.create_queue(queue, ownership_tags(queue, "shop"))
    # The read also sends the untagged count's one-item listings with its first pages: measure
    # what they cost on their own, so that what is left is the owned queues' pages.
    counted = emulator.call_counts().get("DescribeCmqQueues", 0)
    api.count_untagged()()
    count_calls = emulator.call_counts()["DescribeCmqQueues"] - counted
    emulator.faults = Faults(latency=0.3, actions=frozenset({"DescribeCmqQueues"}))
    before = emulator.call_counts()["DescribeCmqQueues"]
    try:
        # the first page is on its way when the load fails; by the end of the wait it has arrived,
        # and its follow-up pages would be out by then
        _, after = resolve_failing(emulator, tmp_path / "repo", failing(lambda: time.sleep(0.1)), 0.5)
    finally:
        emulator.faults = Faults()
    assert after - before - count_calls == 1


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
    api: TdmqApi, emulator: Emulator, tmp_path: Path
) -> None:
    build(api)
    emulator.faults = Faults(latency=0.5, actions=frozenset({"DescribeCmqTopics"}))
    started = time.monotonic()
    load_began: list[float] = []

    def resolve(project: Project, units: Sequence[StackUnit]) -> list[ResolvedUnit]:
        load_began.append(time.monotonic() - started)
        return resolve_all(project, units)

    try:
        plan_while_resolving(emulator, tmp_path / "repo", resolve)
    finally:
        emulator.faults = Faults()
    # The load would hold the interpreter while the first listings are built and sent: it waits
    # for the first topic page (answered half a second later here).
    assert load_began[0] >= 0.45


def test_the_read_gets_the_interpreter_sooner_while_the_manifest_loads(
    api: TdmqApi, emulator: Emulator, tmp_path: Path
) -> None:
    build(api)
    default = sys.getswitchinterval()
    during: list[float] = []

    def resolve(project: Project, units: Sequence[StackUnit]) -> list[ResolvedUnit]:
        during.append(sys.getswitchinterval())
        return resolve_all(project, units)

    plan_while_resolving(emulator, tmp_path / "repo", resolve)
    assert during[0] < default / 5
    assert sys.getswitchinterval() == default

    with pytest.raises(ValueError):
        plan_while_resolving(emulator, tmp_path / "repo", failing())
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

    api._tdmq.call_json = watched  # type: ignore[attr-defined]
    pending = api.start_read("shop")
    loaded.set()  # the manifest has loaded: the read is waited for next
    pending.finish(OWNED)
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
