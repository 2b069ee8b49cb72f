"""A queue and a topic moving between two stacks of one project, reviewed in one project plan: the
giving stack needs no entry of its own, the move is shown once (in the receiving stack), nothing
is deleted or re-created, and environment name affixes apply to the entries too."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import cmq, sdk, write

from cmqinfra.emulator import Emulator


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    started = Emulator.start(tmp_path / "dev.sqlite3", rate_limits=False)
    try:
        yield started
    finally:
        started.stop()


def _project(root: Path, emu: Emulator, payments: str, billing: str) -> None:
    write(
        root,
        {
            "cmqinfra.yaml": f"""
                version: 1
                environments:
                  dev: {{region: {emu.region}, endpoint: {emu.url}, nameSuffix: -dev}}
                stacks:
                  payments: {{path: stacks/payments}}
                  billing: {{path: stacks/billing}}
                """,
            "stacks/payments/main.yaml": payments,
            "stacks/billing/main.yaml": billing,
        },
    )


PAYMENTS = """
    stack: payments
    queues:
      orders: {tags: {team: payments}}
      kept: {}
      spare: {}
    topics:
      events:
        subscriptions:
          s1: {protocol: queue, endpoint: orders}
    """

PAYMENTS_AFTER = """
    stack: payments
    queues:
      kept: {}
    """

BILLING = """
    stack: billing
    queues:
      invoices: {}
    """

BILLING_AFTER = """
    stack: billing
    queues:
      invoices: {}
      orders: {tags: {team: billing}}
    topics:
      events:
        subscriptions:
          s1: {protocol: queue, endpoint: orders}
    moved:
      - {address: queue/orders, fromStack: payments}
      - {address: topic/events, fromStack: payments}
    """


def _identity(emu: Emulator) -> dict[str, tuple[str, int, str | None]]:
    client = sdk(emu)
    out = {}
    for q in client.call_json("DescribeCmqQueues", {"Limit": 50})["Response"]["QueueList"]:
        tags = {t["TagKey"]: t["TagValue"] for t in q.get("Tags") or []}
        out[f"queue/{q['QueueName']}"] = (q["QueueId"], q["CreateTime"], tags.get("cmqinfra-stack"))
    for t in client.call_json("DescribeCmqTopics", {"Limit": 50})["Response"]["TopicList"]:
        tags = {x["TagKey"]: x["TagValue"] for x in t.get("Tags") or []}
        out[f"topic/{t['TopicName']}"] = (t["TopicId"], t["CreateTime"], tags.get("cmqinfra-stack"))
        subs = client.call_json("DescribeCmqSubscriptionDetail", {"TopicName": t["TopicName"], "Limit": 50})
        for s in subs["Response"]["SubscriptionSet"]:
            out[f"subscription/{t['TopicName']}/{s['SubscriptionName']}"] = (
                s["SubscriptionId"],
                s["CreateTime"],
                None,
            )
    return out


def test_one_project_plan_moves_between_stacks_and_shows_the_move_once(tmp_path: Path, emu: Emulator) -> None:
    _project(tmp_path, emu, PAYMENTS, BILLING)
    code, out, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 0, out + err
    before = _identity(emu)
    assert before["queue/orders-dev"][2] == "payments-dev"

    _project(tmp_path, emu, PAYMENTS_AFTER, BILLING_AFTER)
    code, out, err = cmq(tmp_path, "plan", "--format", "markdown", "--out", "project.plan")
    assert code == 0, out + err
    assert out.count("queue/orders-dev moves in from stack payments-dev") == 1
    assert out.count("topic/events-dev moves in from stack payments-dev") == 1
    assert "moves to stack" not in out  # once, where it happens
    # payments deletes the queue it dropped (so its plan is made again with the queue's users),
    # and nothing else
    assert "queue/spare-dev will be destroyed" in out
    assert out.count("will be destroyed") == 1 and out.count("will be **deleted**") == 1
    doc = json.loads((tmp_path / "project.plan").read_text())
    assert "queue/orders-dev" in json.dumps(doc)

    code, out, err = cmq(tmp_path, "apply", "--plan", "project.plan", "--auto-approve")
    assert code == 0, out + err
    # the totals name the moves, as a single stack's apply does
    assert re.search(r"^Apply complete! Resources: \d+ added, \d+ changed, 1 destroyed, 2 moved across "
                     r"2 stack\(s\)\.", out, re.MULTILINE), out
    after = _identity(emu)
    del before["queue/spare-dev"]
    assert {a: v[:2] for a, v in after.items()} == {a: v[:2] for a, v in before.items()}
    assert after["queue/orders-dev"][2] == "billing-dev" and after["topic/events-dev"][2] == "billing-dev"
    assert after["queue/kept-dev"][2] == "payments-dev"
    code, out, err = cmq(tmp_path, "plan", "--detailed-exitcode")
    assert code == 0, out + err


def test_the_giving_stack_planned_alone_in_the_project_does_not_delete_what_another_takes(
    tmp_path: Path, emu: Emulator
) -> None:
    _project(tmp_path, emu, PAYMENTS, BILLING)
    assert cmq(tmp_path, "apply", "--auto-approve")[0] == 0
    before = _identity(emu)
    _project(tmp_path, emu, PAYMENTS_AFTER, BILLING_AFTER)
    code, out, err = cmq(tmp_path, "apply", "--stack", "payments", "--auto-approve")
    assert code == 0, out + err
    del before["queue/spare-dev"]
    assert _identity(emu) == before  # only spare deleted, nothing retagged yet
    code, out, err = cmq(tmp_path, "apply", "--stack", "billing", "--auto-approve")
    assert code == 0, out + err
    assert {a: v[:2] for a, v in _identity(emu).items()} == {a: v[:2] for a, v in before.items()}


def test_a_stack_planned_by_path_knows_what_the_project_takes_from_it(tmp_path: Path, emu: Emulator) -> None:
    # no cmqinfra.yaml: the stacks are the manifest directories under the current directory
    write(tmp_path, {"infra/payments/main.yaml": PAYMENTS, "infra/billing/main.yaml": BILLING})
    target = ("--endpoint", emu.url, "--region", emu.region)
    for stack in ("infra/payments", "infra/billing"):
        code, out, err = cmq(tmp_path, "apply", stack, "--auto-approve", *target)
        assert code == 0, out + err
    before = _identity(emu)
    write(tmp_path, {"infra/payments/main.yaml": PAYMENTS_AFTER, "infra/billing/main.yaml": BILLING_AFTER})
    code, out, err = cmq(tmp_path, "plan", "infra/payments", *target)
    assert code == 0, out + err
    assert "# queue/orders moves to stack billing" in out and "# topic/events moves to stack billing" in out
    assert "queue/orders will be destroyed" not in out and "queue/spare will be destroyed" in out
    code, out, err = cmq(tmp_path, "apply", "infra/payments", "--auto-approve", *target)
    assert code == 0, out + err
    assert {"queue/orders", "topic/events", "subscription/events/s1"} <= set(_identity(emu))
    code, out, err = cmq(tmp_path, "apply", "infra/billing", "--auto-approve", *target)
    assert code == 0, out + err
    after = _identity(emu)
    del before["queue/spare"]
    assert {a: v[:2] for a, v in after.items()} == {a: v[:2] for a, v in before.items()}
    assert after["queue/orders"][2] == "billing"
    code, out, err = cmq(tmp_path, "plan", "infra/payments", "--detailed-exitcode", *target)
    assert code == 0, out + err




def test_allow_data_loss_holds_for_a_giver_whose_taker_failed_its_read(tmp_path: Path, emu: Emulator) -> None:
    """The taker's read fails, so the move of the topic does not happen: the giver's plan, drafted
    while the reads were out on the expectation of the move, is made again at the end (the topic
    is now deleted), and that plan too takes the run's --allow-data-loss for its replacement of a
    queue holding a message (and only with it). No queue is deleted, so nothing else plans it again."""
    from cmqinfra.cloud.errors import CloudError
    from cmqinfra.plan.values import Action
    from cmqinfra.project import load_project
    from cmqinfra.project.resolve import resolve_all
    from cmqinfra.run.connections import Connections
    from cmqinfra.run.runner import plan_project
    from cmqinfra.run.session import TargetOptions

    _project(tmp_path, emu, "stack: payments\nqueues:\n  kept: {}\ntopics:\n  events: {}\n",
             "stack: billing\nqueues:\n  invoices: {}\n")
    code, _, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 0, err
    sdk(emu).call_json("SendCmqMsg", {"QueueName": "kept-dev", "MsgContent": "m", "DelaySeconds": 0})
    write(tmp_path, {
        # maxMsgSize is only set at creation: kept-dev, holding a message, is replaced.
        "stacks/payments/main.yaml": "stack: payments\nqueues:\n  kept: {maxMsgSize: 2048}\n",
        "stacks/billing/main.yaml": "stack: billing\nqueues:\n  invoices: {}\ntopics:\n  events: {}\n"
                                    "moved:\n  - {address: topic/events, fromStack: payments}\n",
    })
    project = load_project(tmp_path)
    assert project.ok, project.diagnostics
    resolved = resolve_all(project, project.units())

    def plan(allow_data_loss: bool) -> dict[str, Any]:
        connections = Connections(TargetOptions(), tmp_path, rate_scale=1.0)
        opened = connections.open

        def open_failing_taker(unit: Any, target: Any) -> Any:
            api = opened(unit, target)
            if unit.stack_name == "billing":
                def fail(*args: object, **kwargs: object) -> None:
                    raise CloudError("DescribeCmqQueues", "InternalError", "down (test)", "r-1")
                api.read = fail
            return api

        connections.open = open_failing_taker  # type: ignore[method-assign]
        try:
            items, _ = plan_project(resolved, TargetOptions(), connections, allow_data_loss=allow_data_loss)
        finally:
            connections.close()
        return {item.unit.stack_name: item for item in items}

    refused, allowed = plan(False), plan(True)
    for items in (refused, allowed):
        assert "down (test)" in (items["billing"].error or "")
        giver = items["payments"].plan
        actions = {c.address: c.action for c in giver.changes}
        assert actions["topic/events-dev"] is Action.DELETE and actions["queue/kept-dev"] is Action.REPLACE
        assert [loss.address for loss in giver.data_loss] == ["queue/kept-dev"]
    assert refused["payments"].plan.errors
    assert not allowed["payments"].plan.errors, allowed["payments"].plan.errors
