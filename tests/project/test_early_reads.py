"""Project mode reads each unit's live state while the project resolves: from the stack name on the
manifests' ``stack:`` line (with the environment's affixes), before anything is parsed; the
resolved unit then takes the read over, or throws it away when it was started for another region.
The account's untagged count is asked once per target, not once per stack. Counted on the
emulator, through the real SDK."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from helpers import cmq, sdk, write

from cmqinfra.emulator import Emulator
from cmqinfra.live import LiveState
from cmqinfra.model import Stack
from cmqinfra.project import load_project
from cmqinfra.project.resolve import ResolvedUnit, resolve_all
from cmqinfra.project.units import Project, StackUnit
from cmqinfra.run.connections import Connections
from cmqinfra.run.early_reads import resolve_while_reading
from cmqinfra.run.runner import plan_project
from cmqinfra.run.session import TargetOptions


def _stacks(count: int) -> dict[str, str]:
    files = {}
    for i in range(count):
        files[f"s{i}/m.yaml"] = (
            f"stack: s{i}\nqueues:\n  q{i}: {{}}\ntopics:\n  t{i}:\n    subscriptions:\n"
            f"      to-q{i}: {{protocol: queue, endpoint: q{i}}}\n"
        )
    return files


def _project(root: Path, url: str, count: int, env: str = "{}") -> None:
    stacks = "\n".join(f"  s{i}: {{path: s{i}}}" for i in range(count))
    config = f"environments:\n  dev: {env}\nstacks:\n{stacks}\n"
    write(root, {"cmqinfra.yaml": config, **_stacks(count)})
    code, _, err = cmq(root, "apply", "--auto-approve", "--endpoint", url)
    assert code == 0, err


def _read_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("cmqinfra-read")]


def test_every_units_read_goes_out_before_the_project_resolves(tmp_path: Path) -> None:
    emu = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=False)
    try:
        root = tmp_path / "repo"
        _project(root, emu.url, 3, env="{nameSuffix: -dev}")
        emu.reset_call_counts()
        seen_before_resolving: dict[str, int] = {}

        def resolve_after_the_reads(project: Project, units: Sequence[StackUnit]) -> list[ResolvedUnit]:
            # Nothing of the manifests is parsed yet: wait for the reads to list every stack's
            # queues and every topic's subscriptions, which they can only do from the stack names
            # alone (the queue and topic listings go out side by side: either may finish last).
            deadline = time.monotonic() + 10
            while any(emu.call_counts().get(action, 0) < 3
                      for action in ("DescribeCmqQueues", "DescribeCmqSubscriptionDetail")):
                assert time.monotonic() < deadline, f"no early reads: {emu.call_counts()}"
                time.sleep(0.01)
            seen_before_resolving.update(emu.call_counts())
            return resolve_all(project, units)

        project = load_project(root)
        options = TargetOptions(endpoint=emu.url)
        connections = Connections(options, root)
        try:
            resolved, early = resolve_while_reading(
                project, project.units(), options, connections, resolve_after_the_reads
            )
            items, _ = plan_project(resolved, options, connections, early=early)
        finally:
            connections.close()
        calls = emu.call_counts()
    finally:
        emu.stop()
    assert [i.status for i in items] == ["no changes"] * 3, [i.error for i in items]
    assert seen_before_resolving["DescribeCmqQueues"] >= 3
    # Read once each, under the suffixed names the stacks own (a read under the bare name finds
    # nothing and starts over), plus the account's untagged count once.
    assert calls == {
        "DescribeCmqQueues": 3 + 2, "DescribeCmqTopics": 3 + 2, "DescribeCmqSubscriptionDetail": 3
    }
    assert not _read_threads()


def test_a_read_started_for_another_region_is_thrown_away(tmp_path: Path) -> None:
    """The region is a variable: the ``region:`` line says nothing before the resolve, so the early
    read goes to the endpoint's default region; the resolved unit is read again where it is."""
    emu = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=False, region="ap-shanghai")
    try:
        root = tmp_path / "repo"
        write(root, {
            "cmqinfra.yaml": "variables:\n  where: {type: string, default: ap-shanghai}\n"
                             "environments:\n  dev: {}\nstacks:\n  app: {path: app}\n",
            "app/m.yaml": "stack: app\nregion: ${var.where}\nqueues:\n  jobs: {}\n",
        })
        code, out, err = cmq(root, "plan", "--endpoint", emu.url, "--detailed-exitcode")
    finally:
        emu.stop()
    assert code == 2, err
    assert "=== app[dev] (region ap-shanghai, endpoint" in out
    assert "# queue/jobs will be created" in out
    assert not _read_threads()


def test_a_unit_that_fails_to_load_cancels_its_read_and_the_others_are_planned(tmp_path: Path) -> None:
    emu = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=False)
    try:
        root = tmp_path / "repo"
        _project(root, emu.url, 2)
        (root / "s1" / "m.yaml").write_text("stack: s1\nqueues:\n  q1: {visibilityTimeout: soon}\n")
        emu.reset_call_counts()
        code, out, err = cmq(root, "plan", "--endpoint", emu.url)
        calls = emu.call_counts()
    finally:
        emu.stop()
    assert code == 1
    assert "s1/m.yaml:3:" in err and "visibilityTimeout" in err
    assert "=== s0[dev]" in out and "No changes" in out
    assert "error: s1[dev]: the manifests have errors" in err
    # s0's read; of s1's, at most what it owns listed by its tag (read before the manifest failed):
    # no more than two reads, and nothing that writes.
    assert set(calls) == {"DescribeCmqQueues", "DescribeCmqTopics", "DescribeCmqSubscriptionDetail"}, calls
    assert calls["DescribeCmqSubscriptionDetail"] <= 2
    assert calls["DescribeCmqQueues"] <= 2 + 2 and calls["DescribeCmqTopics"] <= 2 + 2
    assert not _read_threads()


def test_the_untagged_count_is_asked_once_per_target_and_each_target_has_its_own(tmp_path: Path) -> None:
    """Two environments on two emulators (accounts), two stacks each: per emulator two queue and
    two topic pages, one subscription listing per topic, and the untagged count once (one queue
    and one topic listing of one item each, unfiltered and by the owner tag), not once per stack;
    each unit's plan warns of its own target's untagged resources."""
    dev = Emulator.start(tmp_path / "dev.sqlite3", rate_limits=False)
    prod = Emulator.start(tmp_path / "prod.sqlite3", rate_limits=False)
    try:
        root = tmp_path / "repo"
        stacks = "\n".join(f"  s{i}: {{path: s{i}}}" for i in range(2))
        config = (f"environments:\n  dev: {{endpoint: {dev.url}}}\n  prod: {{endpoint: {prod.url}}}\n"
                  f"stacks:\n{stacks}\n")
        write(root, {"cmqinfra.yaml": config, **_stacks(2)})
        code, _, err = cmq(root, "apply", "--auto-approve")
        assert code == 0, err
        sdk(dev).call_json("CreateCmqQueue", {"QueueName": "by-hand"})
        for name in ("by-hand-1", "by-hand-2"):
            sdk(prod).call_json("CreateCmqQueue", {"QueueName": name})
        sdk(prod).call_json("CreateCmqTopic", {"TopicName": "by-hand-topic"})
        dev.reset_call_counts()
        prod.reset_call_counts()
        code, out, err = cmq(root, "plan", "--detailed-exitcode")
        counts = {"dev": dev.call_counts(), "prod": prod.call_counts()}
    finally:
        dev.stop()
        prod.stop()
    assert code == 0, err
    for calls in counts.values():
        assert calls == {
            "DescribeCmqQueues": 2 + 2, "DescribeCmqTopics": 2 + 2, "DescribeCmqSubscriptionDetail": 2
        }
    warnings = [line for line in out.splitlines() if "untagged" in line]
    said = "untagged queue(s)/topic(s) seen that the manifest does not declare; they are left alone"
    assert sorted(warnings) == [f"warning: {n} {said}" for n in (1, 1, 3, 3)], out


def test_a_plan_made_while_other_units_read_stands_only_if_the_moves_out_are_the_same(tmp_path: Path) -> None:
    """Each unit is planned as soon as its read is in, from the moves out expected of the run; at
    the end a draft made from other moves out is planned again (the giver must not delete what
    the taker takes), and one made from the same is kept as it is."""
    from benchmarks.pipeline import live_state_equal_to
    from cmqinfra.plan.values import Action
    from cmqinfra.run.runner import Draft, PlanInput, plan_unit, plan_units

    write(tmp_path, {
        "cmqinfra.yaml": "stacks:\n  giver: {path: giver}\n  taker: {path: taker}\n",
        "giver/m.yaml": "stack: giver\nqueues:\n  kept: {}\n  orders: {}\n",
        "taker/m.yaml": "stack: taker\nqueues:\n  orders: {}\n"
                        "moved:\n  - {address: queue/orders, fromStack: giver}\n",
    })
    project = load_project(tmp_path)
    giver, taker = resolve_all(project, project.units())
    assert giver.stack is not None and taker.stack is not None
    owned_by_giver = live_state_equal_to(giver.stack)  # orders is giver's now
    gives = PlanInput(giver.unit, replace_stack(giver.stack, "kept"), owned_by_giver, "ap-guangzhou")
    takes = PlanInput(taker.unit, taker.stack, owned_by_giver_as_seen_by(taker.stack, owned_by_giver),
                      "ap-guangzhou")
    stale = Draft(gives, None, plan_unit(gives, None))  # as if no stack took anything
    assert [c.action for c in stale.plan.changes if c.address == "queue/orders"] == [Action.DELETE]
    same = Draft(takes, None, plan_unit(takes, None))

    plans = plan_units([gives, takes], drafts={giver.unit.key: stale, taker.unit.key: same})

    assert not [c for c in plans[0].changes if c.action is Action.DELETE], plans[0].changes
    assert [c.action for c in plans[1].changes if c.address == "queue/orders"] == [Action.MOVE]
    assert plans[1] is same.plan  # made once, not again at the end


def replace_stack(stack: Stack, *keep: str) -> Stack:
    """The stack without its queues other than ``keep``: orders left the giver's manifest."""
    return replace(stack, queues=tuple(q for q in stack.queues if q.name in keep))


def owned_by_giver_as_seen_by(stack: Stack, live: LiveState) -> LiveState:
    """What the taker's read finds: the queue it names, still tagged as the giver's."""
    names = {q.name for q in stack.queues}
    return replace(live, queues={k: v for k, v in live.queues.items() if v.queue.name in names},
                   topics={}, subscriptions={})
