"""The backend's admin operations (peek, purge, redrive, reset, snapshot/restore) on messages
the unmodified CMQ SDK sent and received over HTTP, on the emulator's virtual clock."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from cmq.account import Account
from cmq.queue import Message
from cmq.subscription import SubscriptionMeta
from cmq.topic import Message as TopicMessage
from cmq.topic import TopicMeta

from cmqinfra.emulator import ApiError, Emulator, VirtualClock

from .conftest import cmq_code, make_queue


def _dead_letter(account: Account, source: str, dlq: str, **policy: int) -> None:
    account.cmq_client.set_queue_attributes(
        {"queueName": source, "deadLetterPolicy": json.dumps({"deadLetterQueue": dlq, **policy})}
    )


def _subscribe(account: Account, topic: str, name: str, queue: str, **filters: list[str]) -> None:
    sub = SubscriptionMeta()
    sub.Endpoint, sub.Protocal, sub.NotifyContentFormat = queue, "queue", "SIMPLIFIED"
    for key, value in filters.items():
        setattr(sub, key, value)
    account.get_subscription(topic, name).create(sub)


def _receive_all(queue, wait: int = 0) -> list:  # type: ignore[no-untyped-def]
    from cmq.cmq_exception import CMQServerException

    got = []
    while True:
        try:
            got += queue.batch_receive_message(16, wait)
        except CMQServerException as error:
            assert error.code == 7000
            return got


# ---------------------------------------------------------------------------------------------- peek


def test_peek_shows_each_state_and_consumes_nothing(
    emu: Emulator, account: Account, clock: VirtualClock
) -> None:
    queue = make_queue(account, "orders", visibilityTimeout=60)
    queue.send_message(Message("first"))
    queue.send_message(Message("second"))
    queue.send_message(Message("later"), delayTime=120)
    held = queue.receive_message(0)
    assert held.msgBody == "first"
    now = clock.now()

    peeked = emu.backend.peek("orders")
    assert [(m.body, m.state, m.dequeue_count) for m in peeked] == [
        ("first", "in-flight", 1),
        ("second", "active", 0),
        ("later", "delayed", 0),
    ]
    assert peeked[0].msg_id == held.msgId
    assert peeked[0].visible_at == pytest.approx(now + 60)
    assert peeked[0].first_dequeue_time == pytest.approx(now)
    assert peeked[2].visible_at == pytest.approx(now + 120)
    assert emu.backend.peek("ORDERS") == peeked  # names are case-insensitive, as everywhere

    # Peeking twice changed nothing: the active one is still first in line, counts unchanged.
    assert emu.backend.peek("orders") == peeked
    again = queue.receive_message(0)
    assert (again.msgBody, again.dequeueCount) == ("second", 1)
    queue.delete_message(held.receiptHandle)  # the held handle survived the peeks
    assert [m.body for m in emu.backend.peek("orders")] == ["second", "later"]
    assert [m.body for m in emu.backend.peek("orders", limit=1)] == ["second"]


def test_peek_shows_a_publish_s_tags_and_routing_key(emu: Emulator, account: Account) -> None:
    make_queue(account, "billing")
    make_queue(account, "audit")
    tagged = account.get_topic("events")
    tagged.create(TopicMeta())
    _subscribe(account, "events", "billing", "billing")
    routed = account.get_topic("routes")
    meta = TopicMeta()
    meta.filterType = 2
    routed.create(meta)
    _subscribe(account, "routes", "audit", "audit", bindingKey=["order.#"])

    tagged.publish_message(TopicMessage("paid", ["eu", "card"]))
    routed.publish_message(TopicMessage("created"), routingKey="order.eu.created")
    account.get_queue("billing").send_message(Message("direct"))

    assert [(m.body, m.tags, m.routing_key) for m in emu.backend.peek("billing")] == [
        ("paid", ("eu", "card"), None),
        ("direct", (), None),
    ]
    [audit] = emu.backend.peek("audit")
    assert (audit.body, audit.tags, audit.routing_key) == ("created", (), "order.eu.created")


def test_peek_applies_the_clock_first(emu: Emulator, account: Account, clock: VirtualClock) -> None:
    make_queue(account, "ttl-dead")
    source = make_queue(account, "ttl-source")
    _dead_letter(account, "ttl-source", "ttl-dead", policy=1, maxTimeToLive=300)
    short = make_queue(account, "short", msgRetentionSeconds=60)
    source.send_message(Message("aging"))
    short.send_message(Message("expiring"))
    clock.advance(300)
    # Due dead letters are in the dead-letter queue, expired messages gone: what a receive would meet.
    [dead] = emu.backend.peek("ttl-dead")
    assert (dead.body, dead.state, dead.dead_letter_source) == ("aging", "active", "ttl-source")
    assert emu.backend.peek("ttl-source") == ()
    assert emu.backend.peek("short") == ()


def test_peek_of_a_missing_queue_is_resource_not_found(emu: Emulator) -> None:
    with pytest.raises(ApiError) as info:
        emu.backend.peek("nope")
    assert info.value.code == "ResourceNotFound"


# --------------------------------------------------------------------------------------------- purge


def test_purge_empties_every_state_and_says_how_many(
    emu: Emulator, account: Account, clock: VirtualClock
) -> None:
    queue = make_queue(account, "purged", visibilityTimeout=30)
    other = make_queue(account, "kept")
    queue.batch_send_message([Message("a"), Message("b")])
    queue.send_message(Message("delayed"), delayTime=100)
    held = queue.receive_message(0)
    other.send_message(Message("untouched"))

    assert emu.backend.purge("purged") == 3
    assert emu.backend.peek("purged") == ()
    assert cmq_code(queue.delete_message, held.receiptHandle) == 4430
    clock.advance(200)
    assert cmq_code(queue.receive_message, 0) == 7000
    assert [m.body for m in emu.backend.peek("kept")] == ["untouched"]
    assert emu.backend.purge("purged") == 0


# ------------------------------------------------------------------------------------------- redrive


def test_redrive_by_receive_count_moves_each_dead_letter_back_once(
    emu: Emulator, account: Account, clock: VirtualClock
) -> None:
    dlq = make_queue(account, "orders-dead")
    source = make_queue(account, "orders", visibilityTimeout=10)
    _dead_letter(account, "orders", "orders-dead", policy=0, maxReceiveCount=2)
    source.batch_send_message([Message(f"m{i}") for i in range(5)])
    for _ in range(2):  # two failed processing attempts each
        assert len(_receive_all(source)) == 5
        clock.advance(10)
    assert len(_receive_all(source)) == 0  # the third receive finds them dead
    assert sorted(m.body for m in emu.backend.peek("orders-dead")) == [f"m{i}" for i in range(5)]
    dead_ids = {m.msg_id for m in emu.backend.peek("orders-dead")}

    result = emu.backend.redrive("orders-dead")
    assert (result.moved, result.in_flight, result.no_source, result.source_full) == (
        (("orders", 5),),
        0,
        0,
        0,
    )
    assert emu.backend.peek("orders-dead") == ()
    back = emu.backend.peek("orders")
    assert {m.msg_id for m in back} == dead_ids  # the same messages, not copies
    assert all((m.state, m.dequeue_count, m.dead_letter_source) == ("active", 0, None) for m in back)
    assert emu.backend.redrive("orders-dead").moved_total == 0  # nothing twice

    # A fresh start: the full receive count again before the policy applies.
    got = _receive_all(source)
    assert sorted(m.msgBody for m in got) == [f"m{i}" for i in range(5)]
    assert {m.dequeueCount for m in got} == {1}
    clock.advance(10)
    assert len(_receive_all(source)) == 5
    assert _receive_all(dlq) == []


def test_redrive_by_age_restarts_the_clock_of_each_message(
    emu: Emulator, account: Account, clock: VirtualClock
) -> None:
    make_queue(account, "ttl-dead")
    source = make_queue(account, "ttl-source", msgRetentionSeconds=3600)
    _dead_letter(account, "ttl-source", "ttl-dead", policy=1, maxTimeToLive=300)
    source.batch_send_message([Message("a"), Message("b")])
    clock.advance(300)
    assert len(emu.backend.peek("ttl-dead")) == 2

    assert emu.backend.redrive("ttl-dead").moved == (("ttl-source", 2),)
    clock.advance(299)  # not dead again: their age counts from the redrive
    assert [m.body for m in emu.backend.peek("ttl-source")] == ["a", "b"]
    assert emu.backend.peek("ttl-dead") == ()
    clock.advance(1)
    assert [m.body for m in emu.backend.peek("ttl-dead")] == ["a", "b"]
    assert emu.backend.redrive("ttl-dead").moved_total == 2
    assert sorted(m.msgBody for m in _receive_all(source)) == ["a", "b"]


def test_redrive_returns_each_message_to_its_own_source(
    emu: Emulator, account: Account, clock: VirtualClock
) -> None:
    make_queue(account, "shared-dead", visibilityTimeout=30)
    for name in ("left", "right"):
        make_queue(account, name, visibilityTimeout=5)
        _dead_letter(account, name, "shared-dead", policy=0, maxReceiveCount=1)
    account.get_queue("left").send_message(Message("from-left"))
    account.get_queue("right").batch_send_message([Message("from-right-1"), Message("from-right-2")])
    _receive_all(account.get_queue("left"))
    _receive_all(account.get_queue("right"))
    clock.advance(5)
    assert len(emu.backend.peek("shared-dead")) == 3
    account.get_queue("shared-dead").send_message(Message("sent-directly"))
    held = account.get_queue("shared-dead").receive_message(0)  # the first dead letter, in a consumer's hands
    assert held.msgBody == "from-left"
    account.get_queue("left").send_message(Message("from-left-2"))
    _receive_all(account.get_queue("left"))
    clock.advance(5)
    assert [m.dead_letter_source for m in emu.backend.peek("shared-dead")] == [
        "left",
        "right",
        "right",
        None,
        "left",
    ]

    result = emu.backend.redrive("shared-dead")
    assert dict(result.moved) == {"right": 2, "left": 1}
    assert (result.in_flight, result.no_source) == (1, 1)  # two sources: the direct one has no home
    assert [m.body for m in emu.backend.peek("left")] == ["from-left-2"]
    assert [m.body for m in emu.backend.peek("right")] == ["from-right-1", "from-right-2"]
    assert [m.body for m in emu.backend.peek("shared-dead")] == ["from-left", "sent-directly"]


def test_a_dead_letter_queue_with_one_source_takes_direct_sends_back_there(
    emu: Emulator, account: Account
) -> None:
    make_queue(account, "one-dead")
    make_queue(account, "one")
    _dead_letter(account, "one", "one-dead", policy=0, maxReceiveCount=3)
    account.get_queue("one-dead").send_message(Message("parked by hand"))
    assert emu.backend.redrive("one-dead").moved == (("one", 1),)
    assert [m.body for m in emu.backend.peek("one")] == ["parked by hand"]


def test_concurrent_redrives_move_each_message_once(
    emu: Emulator, account: Account, clock: VirtualClock
) -> None:
    make_queue(account, "race-dead")
    source = make_queue(account, "race", visibilityTimeout=5)
    _dead_letter(account, "race", "race-dead", policy=0, maxReceiveCount=1)
    for start in range(0, 64, 16):
        source.batch_send_message([Message(f"m{i}") for i in range(start, start + 16)])
    _receive_all(source)
    clock.advance(5)
    assert len(emu.backend.peek("race-dead")) == 64
    totals: list[int] = []
    threads = [
        threading.Thread(target=lambda: totals.append(emu.backend.redrive("race-dead").moved_total))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(totals) == 64
    bodies = sorted(m.msgBody for m in _receive_all(source))
    assert bodies == sorted(f"m{i}" for i in range(64))


def test_redrive_wakes_a_long_poll_on_the_source(
    emu: Emulator, account: Account, clock: VirtualClock
) -> None:
    make_queue(account, "wake-dead")
    source = make_queue(account, "wake", visibilityTimeout=5)
    _dead_letter(account, "wake", "wake-dead", policy=0, maxReceiveCount=1)
    source.send_message(Message("again"))
    _receive_all(source)
    clock.advance(5)
    assert len(emu.backend.peek("wake-dead")) == 1
    got: list[str] = []
    poller = threading.Thread(target=lambda: got.append(source.receive_message(20).msgBody))
    poller.start()
    while not emu.backend._conditions.get("wake"):  # the poll is waiting
        threading.Event().wait(0.005)
    emu.backend.redrive("wake-dead")
    poller.join(timeout=5)
    assert got == ["again"]  # answered by the redrive, with virtual time standing still


# --------------------------------------------------------------------------------------------- reset


def _apply(emu: Emulator, tmp_path: Path, name: str, text: str) -> None:
    from cmqinfra.run import bootstrap

    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    stacks = bootstrap.load_stacks([str(path)])
    bootstrap.apply_stacks(stacks, emu.url, ("AKIDCMQINFRALOCAL", "cmqinfra-local-secret"), emu.region)


PAYMENTS = """
stack: payments
queues:
  payments-dead: {}
  payments: {deadLetter: {queue: payments-dead, maxReceiveCount: 3}}
topics:
  payment-events:
    subscriptions:
      to-payments: {protocol: queue, endpoint: payments}
"""
SHIPPING = """
stack: shipping
queues:
  shipping: {}
"""


def test_reset_of_one_stack_removes_only_what_it_owns(
    emu: Emulator, account: Account, tmp_path: Path
) -> None:
    _apply(emu, tmp_path, "payments", PAYMENTS)
    _apply(emu, tmp_path, "shipping", SHIPPING)
    make_queue(account, "by-hand")  # untagged: no stack owns it
    _dead_letter(account, "by-hand", "payments-dead", policy=0, maxReceiveCount=2)
    account.get_queue("payments").send_message(Message("p"))
    account.get_queue("shipping").send_message(Message("s"))

    result = emu.backend.reset(stack="payments")
    assert (result.queues, result.topics, result.unbound) == (
        ("payments-dead", "payments"),
        ("payment-events",),
        ("by-hand",),
    )
    assert cmq_code(account.get_queue("payments").receive_message, 0) == 4440
    assert cmq_code(account.get_topic("payment-events").get_attributes) == 4440
    assert account.get_queue("shipping").receive_message(0).msgBody == "s"
    assert account.get_queue("by-hand").get_attributes().queueName == "by-hand"
    assert "deadLetterPolicy" not in json.dumps(
        account.cmq_client.get_queue_attributes({"queueName": "by-hand"})
    )
    # Applying the stack again starts it afresh.
    _apply(emu, tmp_path, "payments", PAYMENTS)
    assert emu.backend.peek("payments") == ()
    assert emu.backend.reset(stack="nobody") == type(result)("nobody", (), (), ())


def test_reset_of_everything(emu: Emulator, account: Account, tmp_path: Path) -> None:
    _apply(emu, tmp_path, "payments", PAYMENTS)
    make_queue(account, "by-hand").send_message(Message("x"))
    result = emu.backend.reset()
    assert (result.stack, set(result.queues), result.topics) == (
        None,
        {"payments-dead", "payments", "by-hand"},
        ("payment-events",),
    )
    assert account.list_queue()[0] == 0
    assert cmq_code(account.get_queue("by-hand").receive_message, 0) == 4440


def test_reset_answers_a_waiting_long_poll_at_once(emu: Emulator, account: Account) -> None:
    queue = make_queue(account, "polled")
    codes: list[int] = []
    poller = threading.Thread(target=lambda: codes.append(cmq_code(queue.receive_message, 30)))
    poller.start()
    while not emu.backend._conditions.get("polled"):
        threading.Event().wait(0.005)
    emu.backend.reset()
    poller.join(timeout=5)
    assert codes == [4440]  # the queue is gone: said now, not after 30 s of virtual time


def test_restore_puts_back_exactly_the_snapshot(emu: Emulator, account: Account, tmp_path: Path) -> None:
    _apply(emu, tmp_path, "payments", PAYMENTS)
    taken = emu.backend.snapshot()
    account.get_queue("payments").send_message(Message("from a test"))
    make_queue(account, "scratch")
    account.get_topic("payment-events").publish_message(TopicMessage("published"))
    emu.backend.restore(taken)
    assert emu.backend.peek("payments") == ()
    assert cmq_code(account.get_queue("scratch").get_attributes) == 4440
    account.get_topic("payment-events").publish_message(TopicMessage("after"))
    assert [m.body for m in emu.backend.peek("payments")] == ["after"]  # the subscription is back
    assert emu.backend.snapshot() != taken
