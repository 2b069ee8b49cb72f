"""Refactoring without deleting, end to end: moved (between stacks, and a stack rename), removed
and import, through the CLI and the real SDK against the emulator. Every test checks on the
emulator that the resource kept its id and create time (it was never deleted or re-created),
and that an apply cut mid-way converges when run again."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tencentcloud.tdmq.v20200217 import models

from cmqinfra.cli import cli
from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator, Faults


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEFAULT_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEFAULT_SECRET_KEY)
    monkeypatch.delenv("TENCENTCLOUD_REGION", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


class Cli:
    def __init__(self, emu: Emulator, tmp: Path) -> None:
        self.emu = emu
        self.tmp = tmp

    def __call__(self, *args: str) -> tuple[int, str]:
        argv = [*args, "--endpoint", self.emu.url, "--region", self.emu.region]
        result = CliRunner().invoke(cli, argv, catch_exceptions=False)
        return result.exit_code, result.output

    def write(self, name: str, text: str) -> str:
        path = self.tmp / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return str(path)

    def plan_json(self, path: str, *extra: str) -> dict[str, Any]:
        code, out = self("plan", path, "--format", "json", *extra)
        assert code == 0, out
        return {rc["address"]: rc for rc in json.loads(out)["resource_changes"]}


@pytest.fixture
def run(emulator: Emulator, tmp_path: Path) -> Cli:
    return Cli(emulator, tmp_path)


def _tags(items: Any) -> dict[str, str]:
    return {t.TagKey: t.TagValue for t in items or []}


def identity(client: Any) -> dict[str, tuple[Any, ...]]:
    """address -> (id, create time, tags) of every queue, topic and subscription on the emulator."""
    out: dict[str, tuple[Any, ...]] = {}
    req = models.DescribeCmqQueuesRequest()
    req.Limit = 50
    for q in client.DescribeCmqQueues(req).QueueList or []:
        out[f"queue/{q.QueueName}"] = (q.QueueId, q.CreateTime, _tags(q.Tags))
    req = models.DescribeCmqTopicsRequest()
    req.Limit = 50
    for t in client.DescribeCmqTopics(req).TopicList or []:
        out[f"topic/{t.TopicName}"] = (t.TopicId, t.CreateTime, _tags(t.Tags))
        sreq = models.DescribeCmqSubscriptionDetailRequest()
        sreq.TopicName, sreq.Limit = t.TopicName, 50
        for s in client.DescribeCmqSubscriptionDetail(sreq).SubscriptionSet or []:
            out[f"subscription/{t.TopicName}/{s.SubscriptionName}"] = (s.SubscriptionId, s.CreateTime, {})
    return out


def ids(snapshot: dict[str, tuple[Any, ...]]) -> dict[str, tuple[Any, Any]]:
    """Id and create time only: what must survive a refactoring."""
    return {address: (i, created) for address, (i, created, _) in snapshot.items()}


def owner(snapshot: dict[str, tuple[Any, ...]], address: str) -> str | None:
    return snapshot[address][2].get("cmqinfra-stack")


PAYMENTS = """\
stack: payments
queues:
  orders-dead: {}
  orders:
    deadLetter: {queue: orders-dead, maxReceiveCount: 3}
    tags: {team: payments}
  audit: {protect: true, tags: {team: payments}}
topics:
  events:
    subscriptions:
      billing: {protocol: queue, endpoint: orders}
"""

# payments gives orders and events (with its subscription) to billing, and keeps orders-dead
PAYMENTS_AFTER = """\
stack: payments
queues:
  orders-dead: {}
  audit: {protect: true, tags: {team: payments}}
moved:
  - {address: queue/orders, toStack: billing}
  - {address: topic/events, toStack: billing}
"""

BILLING = """\
stack: billing
queues:
  orders:
    visibilityTimeout: 45
    deadLetter: {queue: orders-dead, maxReceiveCount: 3}
    tags: {team: billing}
topics:
  events:
    subscriptions:
      billing: {protocol: queue, endpoint: orders}
moved:
  - {address: queue/orders, fromStack: payments}
  - {address: topic/events, fromStack: payments}
"""


def test_move_between_stacks_keeps_every_id_and_create_time(run: Cli, tdmq_client: Any) -> None:
    pay = run.write("payments.yaml", PAYMENTS)
    assert run("apply", pay, "--auto-approve")[0] == 0
    before = identity(tdmq_client)

    # The giving stack, applied first and alone: it shows the move and never deletes.
    pay = run.write("payments.yaml", PAYMENTS_AFTER)
    code, out = run("plan", pay)
    assert code == 0, out
    assert "# queue/orders moves to stack billing" in out and '=> queue "orders"' in out
    assert "destroy" not in out.split("Plan:")[0] and "0 to destroy, 2 to move." in out
    changes = run.plan_json(pay)
    assert changes["queue/orders"]["change"]["actions"] == ["forget"]
    assert changes["queue/orders"]["change"]["move"] == {"to_stack": "billing"}
    assert run("apply", pay, "--auto-approve")[0] == 0
    assert ids(identity(tdmq_client)) == ids(before)

    bill = run.write("billing.yaml", BILLING)
    changes = run.plan_json(bill)
    assert changes["queue/orders"]["change"]["actions"] == ["update"]
    assert changes["queue/orders"]["previous_address"] == "payments:queue/orders"
    assert changes["queue/orders"]["change"]["move"] == {"from_stack": "payments"}
    assert changes["topic/events"]["change"]["move"] == {"from_stack": "payments"}
    code, out = run("plan", bill)
    assert "# queue/orders moves in from stack payments" in out and "~ visibilityTimeout = 30 -> 45" in out
    code, out = run("apply", bill, "--auto-approve")
    assert code == 0 and "queue/orders: moved in" in out, out

    after = identity(tdmq_client)
    assert ids(after) == ids(before)  # nothing deleted or re-created, subscription included
    assert owner(after, "queue/orders") == "billing" and owner(after, "topic/events") == "billing"
    assert after["queue/orders"][2]["team"] == "billing"
    assert owner(after, "queue/orders-dead") == "payments"
    for path in (pay, bill):
        assert run("plan", path, "--detailed-exitcode")[0] == 0


def test_receiving_stack_alone_takes_the_resource(run: Cli, tdmq_client: Any) -> None:
    pay = run.write("payments.yaml", PAYMENTS)
    assert run("apply", pay, "--auto-approve")[0] == 0
    before = ids(identity(tdmq_client))
    bill = run.write("billing.yaml", BILLING)
    assert run("apply", bill, "--auto-approve")[0] == 0
    # The giving stack still declares them, but no longer owns them: its plan refuses to touch them.
    code, out = run("plan", pay)
    assert code == 1 and "queue/orders is owned by stack 'billing'" in out
    assert ids(identity(tdmq_client)) == before


def test_moved_from_the_wrong_stack_is_refused(run: Cli) -> None:
    pay = run.write("payments.yaml", PAYMENTS)
    assert run("apply", pay, "--auto-approve")[0] == 0
    bill = run.write("billing.yaml", BILLING.replace("fromStack: payments}", "fromStack: shipping}"))
    code, out = run("plan", bill)
    assert code == 1
    assert "queue/orders is owned by stack 'payments', not 'shipping' as its moved entry says" in out


def test_interrupted_move_converges_on_the_next_run(run: Cli, emulator: Emulator, tdmq_client: Any) -> None:
    pay = run.write("payments.yaml", PAYMENTS)
    assert run("apply", pay, "--auto-approve")[0] == 0
    before = ids(identity(tdmq_client))
    bill = run.write("billing.yaml", BILLING)
    # The retag of queue/orders goes through, then its attribute update fails: the apply stops
    # mid-move (one step at a time, so topic/events is not started).
    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({"ModifyCmqQueueAttribute"}))
    code, out = run("apply", bill, "--auto-approve", "--parallelism", "1")
    assert code == 1 and "queue/orders: FAILED" in out, out
    emulator.faults = Faults()
    mid = identity(tdmq_client)
    assert owner(mid, "queue/orders") == "billing" and owner(mid, "topic/events") == "payments"
    changes = run.plan_json(bill)
    assert changes["queue/orders"]["change"]["actions"] == ["update"]  # a plain update now
    assert changes["topic/events"]["change"]["move"] == {"from_stack": "payments"}
    code, out = run("apply", bill, "--auto-approve")
    assert code == 0, out
    after = identity(tdmq_client)
    assert ids(after) == before
    assert owner(after, "topic/events") == "billing"
    assert run("plan", bill, "--detailed-exitcode")[0] == 0


RENAMED = """\
stack: payments-v2
renamedFrom: payments
queues:
  orders-dead: {}
  orders:
    deadLetter: {queue: orders-dead, maxReceiveCount: 3}
    tags: {team: payments}
  audit: {protect: true, tags: {team: payments}}
topics:
  events:
    subscriptions:
      billing: {protocol: queue, endpoint: orders}
"""


def test_rename_a_stack_retags_everything_and_an_interrupted_rename_converges(
    run: Cli, emulator: Emulator, tdmq_client: Any
) -> None:
    pay = run.write("payments.yaml", PAYMENTS)
    assert run("apply", pay, "--auto-approve")[0] == 0
    before = ids(identity(tdmq_client))
    renamed = run.write("payments.yaml", RENAMED)
    code, out = run("plan", renamed)
    assert code == 0 and "Plan: 0 to add, 0 to change, 0 to destroy, 4 to move." in out, out
    assert "moves in from stack payments" in out and "(because the stack was renamed)" in out
    # Every second tag call fails for good: the rename stops part-way.
    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({"ModifyResourceTags"}))
    code, out = run("apply", renamed, "--auto-approve", "--parallelism", "1")
    assert code == 1, out
    emulator.faults = Faults()
    assert {owner(identity(tdmq_client), a) for a in ("queue/orders", "topic/events")} == {"payments"}
    code, out = run("apply", renamed, "--auto-approve")
    assert code == 0 and "4 moved" in out, out
    after = identity(tdmq_client)
    assert ids(after) == before
    assert {owner(after, a) for a in after if not a.startswith("subscription/")} == {"payments-v2"}
    assert after["queue/audit"][2]["cmqinfra-protect"] == "true"  # protection moves with it
    assert run("plan", renamed, "--detailed-exitcode")[0] == 0


def test_rename_deletes_nothing_the_old_stack_owned_unless_it_was_dropped(run: Cli, tdmq_client: Any) -> None:
    pay = run.write("payments.yaml", PAYMENTS)
    assert run("apply", pay, "--auto-approve")[0] == 0
    renamed = run.write(
        "payments.yaml",
        RENAMED.replace("  orders-dead: {}\n", "").replace(
            "    deadLetter: {queue: orders-dead, maxReceiveCount: 3}\n", ""
        ),
    )
    changes = run.plan_json(renamed)
    # the renamed stack still owns what it owned: a queue it no longer declares is its to delete
    assert changes["queue/orders-dead"]["change"]["actions"] == ["delete"]
    assert changes["queue/orders"]["change"]["move"] == {"from_stack": "payments"}


def test_removed_releases_without_deleting(run: Cli, emulator: Emulator, tdmq_client: Any) -> None:
    pay = run.write("payments.yaml", PAYMENTS)
    assert run("apply", pay, "--auto-approve")[0] == 0
    before = identity(tdmq_client)
    released = run.write(
        "payments.yaml",
        PAYMENTS.replace("  audit: {protect: true, tags: {team: payments}}\n", "").replace(
            "topics:\n  events:\n    subscriptions:\n      billing: {protocol: queue, endpoint: orders}\n", ""
        )
        + "removed:\n  - {address: queue/audit}\n  - {address: topic/events}\n",
    )
    code, out = run("plan", released)
    assert code == 0, out
    assert "# queue/audit will no longer be managed" in out and '  . queue "audit"' in out
    assert "Plan: 0 to add, 0 to change, 0 to destroy, 2 to release." in out
    changes = run.plan_json(released)
    assert changes["queue/audit"]["change"]["actions"] == ["forget"]
    assert changes["queue/audit"]["change"]["release"] is True
    assert "subscription/events/billing" not in changes  # it goes with its topic, kept
    # first attempt: the tag service fails, nothing is lost; the re-run converges
    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({"ModifyResourceTags"}))
    assert run("apply", released, "--auto-approve")[0] == 1
    emulator.faults = Faults()
    assert ids(identity(tdmq_client)) == ids(before)
    code, out = run("apply", released, "--auto-approve")
    assert code == 0 and "queue/audit: released" in out, out
    after = identity(tdmq_client)
    assert ids(after) == ids(before)
    assert after["queue/audit"][2] == {"team": "payments"}  # user tags kept, cmqinfra's gone
    assert "cmqinfra-stack" not in after["topic/events"][2]
    assert run("plan", released, "--detailed-exitcode")[0] == 0
    # released means untouched from now on: destroying the stack leaves them alone
    code, out = run("plan", released, "--destroy")
    assert "queue/orders will be destroyed" in out
    assert "audit" not in out and "topic/events" not in out


def _create_queue(client: Any, name: str, **attrs: Any) -> str:
    req = models.CreateCmqQueueRequest()
    req.QueueName = name
    for key, value in attrs.items():
        setattr(req, key, value)
    return str(client.CreateCmqQueue(req).QueueId)


IMPORTING = """\
stack: payments
queues:
  existing: {visibilityTimeout: 60, tags: {team: payments}}
import:
  - {address: queue/existing}
"""


def test_import_adopts_by_declaration(run: Cli, tdmq_client: Any) -> None:
    queue_id = _create_queue(tdmq_client, "existing", VisibilityTimeout=30)
    before = ids(identity(tdmq_client))
    path = run.write("payments.yaml", IMPORTING)
    code, out = run("plan", path)
    assert code == 0, out
    assert f"# queue/existing will be imported (id {queue_id})" in out and '<- queue "existing"' in out
    assert "Plan: 0 to add, 1 to change, 0 to destroy, 1 to import." in out
    change = run.plan_json(path)["queue/existing"]["change"]
    assert change["actions"] == ["update"] and change["importing"] == {"id": queue_id}
    code, out = run("apply", path, "--auto-approve")
    assert code == 0 and "queue/existing: imported" in out, out
    after = identity(tdmq_client)
    assert ids(after) == before and owner(after, "queue/existing") == "payments"
    assert run("plan", path, "--detailed-exitcode")[0] == 0  # the import entry may stay


def test_import_checks_the_id_and_that_the_resource_exists(run: Cli, tdmq_client: Any) -> None:
    path = run.write("payments.yaml", IMPORTING)
    code, out = run("plan", path)
    assert code == 1 and "import queue/existing: there is nothing to import, it does not exist" in out
    assert f"{path}:5:5" in out
    _create_queue(tdmq_client, "existing")
    wrong = run.write(
        "payments.yaml", IMPORTING.replace("queue/existing}", "queue/existing, id: queue-other}")
    )
    code, out = run("plan", wrong)
    assert code == 1 and "not 'queue-other'" in out


def test_giving_stack_destroy_keeps_what_moves_out(run: Cli, tdmq_client: Any) -> None:
    pay = run.write("payments.yaml", PAYMENTS.replace("protect: true", "protect: false"))
    assert run("apply", pay, "--auto-approve")[0] == 0
    pay = run.write(
        "payments.yaml",
        PAYMENTS_AFTER.replace("protect: true", "protect: false")
        + "  - {address: queue/orders-dead, toStack: billing}\n",
    )
    pay = run.write("payments.yaml", Path(pay).read_text().replace("  orders-dead: {}\n", ""))
    code, out = run("destroy", pay, "--auto-approve")
    assert code == 0, out
    left = set(identity(tdmq_client))
    assert {"queue/orders", "queue/orders-dead", "topic/events", "subscription/events/billing"} <= left
    assert "queue/audit" not in left


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stack: a\nrenamedFrom: a\n", '2:14: error: renamedFrom "a" is this stack\'s own name'),
        ("stack: a\nmoved:\n  - {address: queue/x}\n", "3:5: error: moved queue/x needs exactly one of"),
        (
            "stack: a\nmoved:\n  - {address: queue/x, fromStack: b}\n",
            '3:15: error: moved queue/x from stack "b", but this stack does not declare it',
        ),
        (
            "stack: a\nqueues:\n  x: {}\nmoved:\n  - {address: queue/x, toStack: b}\n",
            '5:15: error: moved queue/x to stack "b", but this stack still declares it',
        ),
        (
            "stack: a\nqueues:\n  x: {}\nremoved:\n  - {address: queue/x}\n",
            "5:15: error: removed queue/x is still",
        ),
        (
            "stack: a\nimport:\n  - {address: topic/t}\n",
            "3:15: error: import topic/t: this stack does not declare",
        ),
        ("stack: a\nimport:\n  - {address: subscription/t/s}\n", "3:15: error: address must match"),
        (
            "stack: a\nqueues:\n  x: {}\nmoved:\n  - {address: queue/x, fromStack: a}\n",
            '5:35: error: moved queue/x: "a" is this stack itself',
        ),
    ],
)
def test_refactoring_declarations_are_checked_at_their_line(run: Cli, text: str, message: str) -> None:
    path = run.write("bad.yaml", text)
    result = CliRunner().invoke(cli, ["validate", path])
    assert result.exit_code == 1
    assert f"{path}:{message}" in result.output, result.output


def test_rename_killed_mid_way_converges_on_the_next_run(
    run: Cli, emulator: Emulator, tdmq_client: Any
) -> None:
    import os
    import signal
    import subprocess
    import sys

    names = [f"q{i:02d}" for i in range(12)]
    body = "".join(f"  {n}: {{}}\n" for n in names)
    path = run.write("stack.yaml", f"stack: old\nqueues:\n{body}")
    assert run("apply", path, "--auto-approve")[0] == 0
    before = ids(identity(tdmq_client))
    path = run.write("stack.yaml", f"stack: new\nrenamedFrom: old\nqueues:\n{body}")
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(PYTHONUNBUFFERED="1")
    # slow tag calls, one at a time: the kill lands with some queues retagged and others not
    emulator.faults = Faults(latency=0.3, actions=frozenset({"ModifyResourceTags"}))
    argv = [sys.executable, "-m", "cmqinfra", "apply", path, "--auto-approve", "--parallelism", "1"]
    argv += ["--endpoint", emulator.url, "--region", emulator.region]
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
    )
    assert proc.stdout is not None
    seen = 0
    while seen < 3:
        line = proc.stdout.readline()
        assert line, "apply ended before it could be killed"
        seen += ": moved in" in line
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    emulator.faults = Faults()
    mid = identity(tdmq_client)
    owners = {owner(mid, f"queue/{n}") for n in names}
    assert owners == {"old", "new"}, owners  # really cut mid-way
    code, out = run("apply", path, "--auto-approve")
    assert code == 0, out
    after = identity(tdmq_client)
    assert ids(after) == before
    assert {owner(after, f"queue/{n}") for n in names} == {"new"}
    assert run("plan", path, "--detailed-exitcode")[0] == 0


def test_markdown_comment_lists_ownership_changes_within_the_limit(run: Cli) -> None:
    names = [f"q{i:03d}" for i in range(300)]
    body = "".join(f"  {n}: {{}}\n" for n in names)
    path = run.write("stack.yaml", f"stack: old\nqueues:\n{body}")
    assert run("apply", path, "--auto-approve")[0] == 0
    path = run.write("stack.yaml", f"stack: new\nrenamedFrom: old\nqueues:\n{body}")
    code, out = run("plan", path, "--format", "markdown")
    assert code == 0, out[-2000:]
    assert (
        "> Ownership changes (nothing is deleted or re-created):\n> - `queue/q000` moves in from stack `old`"
        in out
    )
    assert "> - ... and 280 more" in out
    assert "[!CAUTION]" not in out and "**Plan: 0 to add, 0 to change, 0 to destroy, 300 to move.**" in out
