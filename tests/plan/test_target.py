"""--target: a partial plan of the targeted resources and what they need, read with name-list and
Detail calls only (counted on the emulator), said loudly to be partial, deleting only targets."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cmqinfra.cli import cli
from cmqinfra.cloud.target import Target
from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from cmqinfra.manifest import load_stack
from cmqinfra.plan.compute import make_plan
from cmqinfra.run.executor import execute
from cmqinfra.run.targets import open_target

QUEUES = 1000


def big_manifest(changed: dict[str, str] | None = None, dropped: tuple[str, ...] = ()) -> str:
    """1,000 queues (five share one dead-letter queue: at most 6 may), a topic, two subscriptions."""
    changed = changed or {}
    lines = ["stack: big", "queues:", "  dead: {}"]
    for i in range(QUEUES):
        name = f"q{i:04d}"
        if name in dropped:
            continue
        body = changed.get(name, "{deadLetter: {queue: dead, maxReceiveCount: 3}}" if i % 200 == 10 else "{}")
        lines.append(f"  {name}: {body}")
    lines += [
        "topics:",
        "  events:",
        "    subscriptions:",
        "      billing: {protocol: queue, endpoint: q0010}",
        "      audit: {protocol: queue, endpoint: q0020}",
    ]
    return "\n".join(lines) + "\n"


class Run:
    def __init__(self, emu: Emulator, tmp: Path) -> None:
        self.emu, self.tmp = emu, tmp

    def __call__(self, *args: str) -> tuple[int, str]:
        argv = [*args, "--endpoint", self.emu.url, "--region", self.emu.region]
        result = CliRunner().invoke(cli, argv, catch_exceptions=False)
        return result.exit_code, result.output

    def write(self, text: str, name: str = "big.yaml") -> str:
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    def calls(self, *args: str) -> tuple[int, str, dict[str, int]]:
        """Run a command and count the API calls the emulator received for it."""
        self.emu.reset_call_counts()
        code, out = self(*args)
        return code, out, self.emu.call_counts()


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    """One emulator holding the applied 1,000-queue stack, shared by the module's tests (each
    test leaves it as it found it)."""
    saved = {k: os.environ.get(k) for k in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "NO_COLOR")}
    os.environ.update(
        TENCENTCLOUD_SECRET_ID=DEFAULT_SECRET_ID, TENCENTCLOUD_SECRET_KEY=DEFAULT_SECRET_KEY, NO_COLOR="1"
    )
    tmp = tmp_path_factory.mktemp("big")
    emu = Emulator.start(tmp / "emulator.sqlite3", rate_limits=False)
    try:
        run = Run(emu, tmp)
        _seed(emu, run.write(big_manifest()))
        yield run
    finally:
        emu.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _seed(emu: Emulator, path: str) -> None:
    """Apply the stack through the adapter and executor with the client-side pacing scaled up:
    the emulator's limits are off, and the seed is not what these tests measure."""
    stack = load_stack([path]).stack
    assert stack is not None
    api = open_target(Target.endpoint(emu.url), emu.region, parallelism=10, rate_scale=100.0)
    try:
        report = execute(make_plan(stack, api.read(stack)), api, parallelism=10)
    finally:
        api.close()
    assert report.ok, report.failed


def _changes(out: str) -> dict[str, dict[str, Any]]:
    return {rc["address"]: rc["change"] for rc in json.loads(out)["resource_changes"]}


def test_one_queue_of_a_thousand_is_planned_with_one_name_list_call(big: Run) -> None:
    path = big.write(big_manifest({"q0500": "{visibilityTimeout: 40}", "q0601": "{visibilityTimeout: 41}"}))
    code, out, calls = big.calls("plan", path, "--target", "queue/q0500", "--format", "json")
    assert code == 0, out
    assert calls == {"DescribeCmqQueues": 1}  # at most 3 asked; no listing of the stack
    doc = json.loads(out)
    assert doc["partial"] is True and doc["targets"] == ["queue/q0500"]
    changes = _changes(out)
    assert set(changes) == {"queue/q0500"}  # queue/q0601's pending change is not read or shown
    assert changes["queue/q0500"]["actions"] == ["update"]


def test_a_queue_brings_its_dead_letter_and_a_subscription_its_topic_and_endpoint(big: Run) -> None:
    path = big.write(big_manifest())
    code, out, calls = big.calls("plan", path, "--target", "queue/q0010", "--format", "json")
    assert code == 0 and calls == {"DescribeCmqQueues": 1}, (out, calls)
    assert set(_changes(out)) == {"queue/q0010", "queue/dead"}
    code, out, calls = big.calls("plan", path, "--target", "subscription/events/billing", "--format", "json")
    assert code == 0, out
    assert calls == {"DescribeCmqQueues": 1, "DescribeCmqTopics": 1, "DescribeCmqSubscriptionDetail": 1}
    assert set(_changes(out)) == {"subscription/events/billing", "topic/events", "queue/q0010", "queue/dead"}


def test_partial_plan_is_said_loudly_in_every_format(big: Run) -> None:
    path = big.write(big_manifest({"q0500": "{visibilityTimeout: 40}"}))
    code, out = big("plan", path, "--target", "queue/q0500")
    assert code == 0, out
    assert out.startswith("Warning: this is a PARTIAL plan: only queue/q0500 and what they need.")
    assert "Plan: 0 to add, 1 to change, 0 to destroy. (partial: --target)" in out
    code, out = big("plan", path, "--target", "queue/q0500", "--format", "markdown")
    assert "> [!WARNING]\n> - **Partial plan** (`--target`): only `queue/q0500`" in out
    code, out = big("plan", big.write(big_manifest()), "--target", "queue/q0500")
    assert "No changes to the targeted resources." in out and "PARTIAL" in out


def test_deletes_only_what_is_targeted(big: Run) -> None:
    path = big.write(big_manifest(dropped=("q0998", "q0999")))
    code, out, calls = big.calls("plan", path, "--target", "queue/q0501", "--format", "json")
    assert code == 0 and set(_changes(out)) == {"queue/q0501"}
    assert all(c["actions"] == ["no-op"] for c in _changes(out).values())
    code, out, calls = big.calls("plan", path, "--target", "queue/q0999", "--format", "json")
    assert code == 0, out
    assert {a: c["actions"] for a, c in _changes(out).items()} == {"queue/q0999": ["delete"]}
    # the safety rules still look for users of a queue about to be deleted: one more Detail call
    assert calls == {"DescribeCmqQueues": 1, "DescribeCmqSubscriptionDetail": 1}
    # a dependency is never deleted by a partial plan, even one the manifest no longer declares
    path = big.write(big_manifest().replace("  dead: {}\n", ""))
    code, out, calls = big.calls("plan", path, "--target", "queue/q0010", "--format", "json")
    assert code == 0, out
    assert {a: c["actions"] for a, c in _changes(out).items()} == {"queue/q0010": ["no-op"]}


def test_apply_with_target_changes_only_the_target_and_a_saved_partial_plan_keeps_its_targets(
    big: Run,
) -> None:
    changed = big.write(
        big_manifest({"q0501": "{visibilityTimeout: 40}", "q0601": "{visibilityTimeout: 41}"})
    )
    code, out = big("apply", changed, "--target", "queue/q0501", "--auto-approve")
    assert code == 0 and "queue/q0501: updated" in out and "q0601" not in out, out
    assert "PARTIAL" in out
    saved = str(big.tmp / "partial.plan")
    code, out = big("plan", changed, "--target", "queue/q0601", "--out", saved)
    assert code == 0, out
    big.emu.reset_call_counts()
    code, out = big("apply", "--plan", saved)
    assert code == 0 and "queue/q0601: updated" in out, out
    calls = big.emu.call_counts()
    calls.pop("GetCallerIdentity", None)  # the saved plan's account check (STS), not a read of the stack
    assert calls == {"DescribeCmqQueues": 1, "ModifyCmqQueueAttribute": 1}, calls
    # back to how the module found it
    code, out = big(
        "apply",
        big.write(big_manifest()),
        "--target",
        "queue/q0501",
        "--target",
        "queue/q0601",
        "--auto-approve",
    )
    assert code == 0, out
    code, out = big("plan", big.write(big_manifest()), "--detailed-exitcode")
    assert code == 0, out


def test_a_target_that_is_not_an_address_is_one_line(big: Run) -> None:
    code, out = big("plan", big.write(big_manifest()), "--target", "orders")
    assert code != 0
    assert "--target 'orders' is not an address: use queue/NAME, topic/NAME or subscription/TOPIC/NAME" in out
    assert "Traceback" not in out


def test_targeting_a_new_subscription_creates_what_it_needs_in_order(big: Run) -> None:
    text = (
        big_manifest()
        .replace(
            "      audit: {protocol: queue, endpoint: q0020}\n",
            "      audit: {protocol: queue, endpoint: q0020}\n"
            "  fresh:\n    subscriptions:\n      s: {protocol: queue, endpoint: newq}\n",
        )
        .replace(
            "  dead: {}\n",
            "  dead: {}\n  newq: {deadLetter: {queue: newdead, maxReceiveCount: 2}}\n  newdead: {}\n",
        )
    )
    path = big.write(text)
    code, out = big("apply", path, "--target", "subscription/fresh/s", "--auto-approve")
    assert code == 0, out
    order = [line.split("] ")[-1].split(":")[0] for line in out.splitlines() if ": created (" in line]
    assert order.index("queue/newdead") < order.index("queue/newq") < order.index("subscription/fresh/s")
    assert order.index("topic/fresh") < order.index("subscription/fresh/s")
    assert set(order) == {"queue/newdead", "queue/newq", "topic/fresh", "subscription/fresh/s"}
    # leave the module's stack as it was
    code, out = big("apply", big.write(big_manifest()), "--auto-approve")
    assert code == 0, out


def test_target_without_a_stack_path_is_refused(big: Run) -> None:
    code, out = big("plan", "--target", "queue/q0001")
    assert code != 0
    assert "--target queue/q0001: without manifest PATH..., name the stack too, as STACK[ENV]:queue/q0001 " \
        "(project mode), or give the stack's manifest PATH..." in out
