"""``--target STACK[ENV]:ADDRESS`` in project mode: only the named units are planned, each partially
(read by name, as a single stack's --target), through the CLI against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cmq, queues, write

from cmqinfra.emulator import Emulator

PAYMENTS = """
stack: payments
queues:
  payments: {deadLetter: {queue: payments-dead, maxReceiveCount: 3}}
  payments-dead: {}
  refunds: {visibilityTimeout: VT}
"""
ORDERS = """
stack: orders
queues:
  orders: {visibilityTimeout: VT}
topics:
  order-events:
    subscriptions:
      to-orders: {protocol: queue, endpoint: orders}
"""


def _repo(root: Path, url: str, timeout: int) -> None:
    write(root, {
        "cmqinfra.yaml": f"environments:\n  dev: {{nameSuffix: -dev, endpoint: {url}}}\n"
                         f"  prod: {{endpoint: {url}}}\n"
                         "stacks:\n  payments: {path: payments}\n  orders: {path: orders}\n",
        "payments/m.yaml": PAYMENTS.replace("VT", str(timeout)),
        "orders/m.yaml": ORDERS.replace("VT", str(timeout)),
    })


@pytest.fixture
def emu(tmp_path: Path):  # type: ignore[no-untyped-def]
    emulator = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=False)
    yield emulator
    emulator.stop()


def test_a_targeted_queue_of_one_unit_is_planned_with_one_call(tmp_path: Path, emu: Emulator) -> None:
    _repo(tmp_path, emu.url, 30)
    code, _, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 0, err
    emu.reset_call_counts()
    target = "payments[dev]:queue/payments-dev"
    code, out, err = cmq(tmp_path, "plan", "--target", target, "--detailed-exitcode")
    assert code == 0, err
    # The queue and its dead letter in one name list: no listing of any stack, no untagged count.
    assert emu.call_counts() == {"DescribeCmqQueues": 1}
    assert "=== payments[dev]" in out and "=== payments[prod]" not in out and "=== orders" not in out
    assert "Warning: this is a PARTIAL plan: only queue/payments-dev and what they need." in out


def test_apply_with_targets_changes_only_them(tmp_path: Path, emu: Emulator) -> None:
    _repo(tmp_path, emu.url, 30)
    code, _, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 0, err
    _repo(tmp_path, emu.url, 99)  # refunds and orders change in every unit
    code, out, err = cmq(tmp_path, "apply", "--auto-approve", "--target", "payments[prod]:queue/refunds",
                         "--target", "orders[dev]:queue/orders-dev")
    assert code == 0, err
    assert "Apply complete! Resources: 0 added, 2 changed, 0 destroyed across 2 stack(s)." in out
    assert "Warning: this apply was PARTIAL (--target queue/refunds queue/orders-dev)" in err
    timeouts = {name: q["QueueDescribe"]["VisibilityTimeout"] for name, q in queues(emu).items()}
    assert timeouts["refunds"] == 99 and timeouts["orders-dev"] == 99
    assert timeouts["refunds-dev"] == 30 and timeouts["orders"] == 30  # not targeted: left as they were


def test_a_saved_targeted_plan_is_applied_with_its_targets(tmp_path: Path, emu: Emulator) -> None:
    _repo(tmp_path, emu.url, 30)
    code, _, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 0, err
    _repo(tmp_path, emu.url, 45)
    code, _, err = cmq(tmp_path, "plan", "--target", "orders[prod]:queue/orders", "--out", "p.plan")
    assert code == 0, err
    emu.reset_call_counts()
    code, out, err = cmq(tmp_path, "apply", "--plan", "p.plan")
    assert code == 0, err
    calls = emu.call_counts()
    assert calls["DescribeCmqQueues"] == 1 and "DescribeCmqTopics" not in calls, calls
    timeouts = {name: q["QueueDescribe"]["VisibilityTimeout"] for name, q in queues(emu).items()}
    assert timeouts["orders"] == 45 and timeouts["orders-dev"] == 30 and timeouts["refunds"] == 30


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("queue/refunds", "error: --target queue/refunds: without manifest PATH..., name the stack too, "
                          "as STACK[ENV]:queue/refunds (project mode)"),
        ("billing[dev]:queue/x", "error: --target billing[dev]:queue/x: no stack billing[dev] in the project "
                                 "(stacks: orders[dev], orders[prod], payments[dev], payments[prod])"),
        ("payments:queue/refunds", "error: --target payments:queue/refunds: stack 'payments' is in "
                                   "several environments (payments[dev], payments[prod]): name one, as "
                                   "STACK[ENV]:ADDRESS"),
    ],
)
def test_a_target_that_names_no_single_unit_is_refused_in_one_line(
    tmp_path: Path, emu: Emulator, target: str, message: str
) -> None:
    _repo(tmp_path, emu.url, 30)
    code, out, err = cmq(tmp_path, "plan", "--target", target)
    assert code == 1
    assert err.splitlines()[0].startswith(message), err
    assert emu.call_counts() == {}  # refused before anything was read


def test_a_project_target_with_manifest_paths_is_a_usage_error(tmp_path: Path, emu: Emulator) -> None:
    _repo(tmp_path, emu.url, 30)
    target = "payments:queue/refunds"
    code, _, err = cmq(tmp_path, "plan", "payments", "--endpoint", emu.url, "--target", target)
    assert code == 2
    said = "--target payments:queue/refunds names a project's stack: with manifest PATH... give the stack's"
    assert said + " own address (queue/NAME, topic/NAME, subscription/TOPIC/NAME)" in err
