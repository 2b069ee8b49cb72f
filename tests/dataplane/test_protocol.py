"""The CMQ SDK's own transport options (POST/GET, HmacSHA1/HmacSHA256) and the in-process backend."""

from __future__ import annotations

import threading
import time

import pytest
from cmq.queue import Message
from cmq.topic import Message as TopicMessage

from cmqinfra.emulator import ApiError, Backend, Emulator, PushRequest, VirtualClock

from .conftest import account_for, make_queue


@pytest.mark.parametrize("method", ["POST", "GET"])
@pytest.mark.parametrize("sign", ["sha1", "sha256"])
def test_every_transport_the_sdk_offers(emu: Emulator, method: str, sign: str) -> None:
    account = account_for(emu)
    account.cmq_client.set_method(method)
    account.cmq_client.set_sign_method(sign)
    queue = make_queue(account, "wire")
    body = "spaces, +plus+, ünïcode & ampersands=equals %25"
    queue.send_message(Message(body))
    assert queue.receive_message(0).msgBody == body


def test_the_in_process_backend_without_http() -> None:
    clock = VirtualClock()
    pushed: list[PushRequest] = []

    def pusher(request: PushRequest) -> int:
        pushed.append(request)
        return 200

    with Backend.open(":memory:", clock=clock, push_loop=False, pusher=pusher) as backend:
        backend.call("CreateCmqQueue", {"QueueName": "jobs", "VisibilityTimeout": 30})
        backend.call("CreateCmqTopic", {"TopicName": "events"})
        backend.call(
            "CreateCmqSubscribe",
            {"TopicName": "events", "SubscriptionName": "q", "Protocol": "queue", "Endpoint": "jobs"},
        )
        backend.call(
            "CreateCmqSubscribe",
            {"TopicName": "events", "SubscriptionName": "h", "Protocol": "http", "Endpoint": "http://hook"},
        )
        delivery = backend.publish("events", "hello")
        assert (delivery.queues, delivery.pushes) == (("jobs",), ("h",))
        assert backend.deliver_due() == 1 and pushed[0].url == "http://hook"
        [message] = backend.receive("jobs", count=16, wait_seconds=0)
        assert backend.counts("jobs").inactive == 1
        with pytest.raises(ApiError) as info:
            backend.delete("jobs", "1:not-the-handle")
        assert info.value.cmq == (4430, 10260)
        backend.delete("jobs", message.receipt_handle)

        got: list[object] = []
        waiter = threading.Thread(target=lambda: got.append(backend.receive("jobs", wait_seconds=25)))
        waiter.start()
        time.sleep(0.2)
        assert waiter.is_alive()
        clock.advance(25)
        waiter.join(timeout=5)
        assert got == [[]]


def test_a_waiting_receive_ends_when_the_emulator_stops(tmp_path) -> None:  # type: ignore[no-untyped-def]
    emu = Emulator.start(tmp_path / "stop.sqlite3", rate_limits=False)
    queue = make_queue(account_for(emu), "q")
    outcome: list[object] = []

    def wait() -> None:
        try:
            queue.receive_message(20)
        except Exception as error:  # noqa: BLE001 - any answer or a closed socket will do
            outcome.append(type(error).__name__)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.2)
    started = time.monotonic()
    emu.stop()
    waiter.join(timeout=10)
    assert not waiter.is_alive() and time.monotonic() - started < 6
    assert outcome


def test_topic_publish_through_the_sdk_reaches_a_queue_in_process_too(emu: Emulator) -> None:
    account = account_for(emu)
    make_queue(account, "sink")
    emu.backend.call("CreateCmqTopic", {"TopicName": "t"})
    emu.backend.call(
        "CreateCmqSubscribe",
        {"TopicName": "t", "SubscriptionName": "s", "Protocol": "queue", "Endpoint": "sink"},
    )
    account.get_topic("t").publish_message(TopicMessage("via http"))
    assert [m.body for m in emu.backend.receive("sink", 16, 0)] == ["via http"]
