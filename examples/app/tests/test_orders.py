"""The example application against a local CMQ: the ``cmq`` fixture comes with cmqinfra (no
conftest), every test starts from infra/orders.yaml with no messages, and time is virtual."""

from __future__ import annotations

import json
import threading

from orders_app.consumer import OrderConsumer
from orders_app.producer import REMINDER_DELAY_SECONDS, OrderProducer


def producer(cmq) -> OrderProducer:
    return OrderProducer(cmq.endpoint, cmq.secret_id, cmq.secret_key)


def consumer(cmq, queue: str = "orders") -> OrderConsumer:
    return OrderConsumer(cmq.endpoint, cmq.secret_id, cmq.secret_key, queue)


def test_a_placed_order_is_processed_once(cmq) -> None:
    producer(cmq).place("A1", "eu", 25)
    [waiting] = cmq.peek("orders")
    assert (json.loads(waiting.body), waiting.routing_key) == (
        {"order": "A1", "amount": 25},
        "order.eu.created",
    )
    seen = []
    assert consumer(cmq).poll_once(seen.append) == 1
    assert seen == [{"order": "A1", "amount": 25}]
    assert cmq.peek("orders") == []
    cmq.advance(60)
    assert consumer(cmq).poll_once(seen.append) == 0  # deleted: it never comes back


def test_every_test_starts_with_empty_queues(cmq) -> None:
    assert cmq.peek("orders") == [] and cmq.peek("orders-dead") == [] and cmq.peek("reminders") == []


def test_a_failing_order_is_retried_then_dead_lettered_then_redriven(cmq) -> None:
    producer(cmq).place("B2", "us", 99)

    def broken(order):
        raise RuntimeError("payment service down")

    for attempt in (1, 2, 3):
        assert consumer(cmq).poll_once(broken) == 0
        [held] = cmq.peek("orders")
        assert (held.state, held.dequeue_count) == ("in-flight", attempt)
        cmq.advance(30)  # the visibility timeout: it comes back
    assert consumer(cmq).poll_once(broken) == 0  # three receives used up: dead-lettered instead
    [dead] = cmq.peek("orders-dead")
    assert (json.loads(dead.body)["order"], dead.dead_letter_source) == ("B2", "orders")

    assert cmq.redrive("orders-dead").moved == (("orders", 1),)  # the service is back
    processed = []
    assert consumer(cmq).poll_once(processed.append) == 1
    assert processed == [{"order": "B2", "amount": 99}] and cmq.peek("orders-dead") == []


def test_a_reminder_arrives_after_fifteen_minutes(cmq) -> None:
    producer(cmq).remind_later("C3")
    reminders = consumer(cmq, "reminders")
    got = []
    cmq.advance(REMINDER_DELAY_SECONDS - 1)
    assert reminders.poll_once(got.append) == 0
    assert [m.state for m in cmq.peek("reminders")] == ["delayed"]
    cmq.advance(1)
    assert reminders.poll_once(got.append) == 1 and got == [{"remind": "C3"}]


def test_a_long_polling_consumer_wakes_when_an_order_arrives(cmq) -> None:
    got = []
    waiting = threading.Thread(target=lambda: consumer(cmq).poll_once(got.append, wait_seconds=20))
    waiting.start()
    producer(cmq).place("D4", "eu", 1)
    waiting.join(timeout=10)
    assert got == [{"order": "D4", "amount": 1}]


def test_a_long_poll_with_nothing_to_receive_ends_with_virtual_time(cmq) -> None:
    done = []
    waiting = threading.Thread(target=lambda: done.append(consumer(cmq).poll_once(print, wait_seconds=20)))
    waiting.start()
    waiting.join(timeout=0.3)
    assert waiting.is_alive()  # still polling: virtual time has not moved
    cmq.advance(20)
    waiting.join(timeout=10)
    assert done == [0]
