"""The edges of each message semantic through the CMQ SDK on the virtual clock: the exact second a
limit bites, dead letters met by a receive and by counting, who is woken, and what an error names."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from cmq.account import Account
from cmq.cmq_exception import CMQServerException
from cmq.queue import Message, Queue
from cmq.subscription import SubscriptionMeta
from cmq.topic import Message as TopicMessage
from cmq.topic import TopicMeta

from cmqinfra.emulator import ApiError, Emulator, VirtualClock

from .conftest import account_for, make_queue


def _server_error(call: Any, *args: Any) -> CMQServerException:
    with pytest.raises(CMQServerException) as info:
        call(*args)
    return info.value


def _dead_letter(account: Account, source: str, dead: str, **policy: int) -> None:
    account.cmq_client.set_queue_attributes(
        {"queueName": source, "deadLetterPolicy": json.dumps({"deadLetterQueue": dead, **policy})}
    )


def _bodies(queue: Queue) -> list[str]:
    """Everything receivable now (a wait of 0), without deleting it."""
    try:
        return sorted(m.msgBody for m in queue.batch_receive_message(16, 0))
    except CMQServerException as error:
        assert error.code == 7000
        return []


def _wait_in_thread(queue: Queue, seconds: int, clock: VirtualClock) -> tuple[threading.Thread, list[object]]:
    """A long poll in a thread that only a wake can end early: the clock's safety re-check (which
    would find the message on its own a second later) is pushed past the test's window."""
    clock.SAFETY_SLICE = 30.0
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(queue.receive_message(seconds).msgBody)
        except CMQServerException as error:
            outcome.append(int(error.code))

    waiter = threading.Thread(target=run, daemon=True)
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive()
    return waiter, outcome


# ------------------------------------------------------------------------------------- dead letters


def test_policy_0_moves_a_message_on_the_receive_after_max_receive_count(
    account: Account, clock: VirtualClock
) -> None:
    dead = make_queue(account, "rc-dead")
    source = make_queue(account, "rc-source", visibilityTimeout=10)
    _dead_letter(account, "rc-source", "rc-dead", policy=0, maxReceiveCount=2)
    source.send_message(Message("poison"))
    first = source.receive_message(0)
    clock.advance(10)
    second = source.receive_message(0)
    assert (first.dequeueCount, second.dequeueCount, second.msgId) == (1, 2, first.msgId)
    clock.advance(10)
    assert _server_error(source.receive_message, 0).code == 7000  # the third receive moves it
    [copy] = dead.batch_receive_message(16, 0)
    assert copy.msgBody == "poison" and copy.msgId != first.msgId and copy.dequeueCount == 1
    assert copy.enqueueTime == int(clock.now())  # a new message of the dead-letter queue


def test_policy_0_moves_a_message_when_the_source_is_counted(account: Account, clock: VirtualClock) -> None:
    dead = make_queue(account, "cnt-dead")
    source = make_queue(account, "cnt-source", visibilityTimeout=10)
    _dead_letter(account, "cnt-source", "cnt-dead", policy=0, maxReceiveCount=1)
    source.send_message(Message("once"))
    source.receive_message(0)
    clock.advance(10)
    counted = source.get_attributes()
    assert (counted.activeMsgNum, counted.inactiveMsgNum) == (0, 0)
    assert dead.get_attributes().activeMsgNum == 1


def test_policy_1_on_the_receive_path_to_the_second(account: Account, clock: VirtualClock) -> None:
    dead = make_queue(account, "ttl-dead2")
    source = make_queue(account, "ttl-src2", msgRetentionSeconds=3600, visibilityTimeout=100)
    _dead_letter(account, "ttl-src2", "ttl-dead2", policy=1, maxTimeToLive=300)
    source.send_message(Message("slow"))
    clock.advance(200)
    assert source.receive_message(0).dequeueCount == 1  # alive before its time to live
    clock.advance(99.999)
    assert _server_error(source.receive_message, 0).code == 7000  # still hidden
    clock.advance(0.001)  # exactly maxTimeToLive after the send
    assert _server_error(source.receive_message, 0).code == 7000
    assert _bodies(dead) == ["slow"]


def test_policy_1_counting_the_source_moves_it_exactly_once(account: Account, clock: VirtualClock) -> None:
    dead = make_queue(account, "ttl-dead3")
    source = make_queue(account, "ttl-src3", msgRetentionSeconds=3600)
    _dead_letter(account, "ttl-src3", "ttl-dead3", policy=1, maxTimeToLive=300)
    source.send_message(Message("unread"))
    clock.advance(300)
    assert source.get_attributes().activeMsgNum == 0
    assert _bodies(dead) == ["unread"]
    assert _bodies(source) == []
    assert dead.get_attributes().inactiveMsgNum == 1  # one copy, not one per sweep


def test_receiving_the_dead_letter_queue_moves_what_its_sources_let_die(
    account: Account, clock: VirtualClock
) -> None:
    dead = make_queue(account, "pull-dead")
    source = make_queue(account, "pull-src", msgRetentionSeconds=3600)
    _dead_letter(account, "pull-src", "pull-dead", policy=1, maxTimeToLive=300)
    source.send_message(Message("expired in the source"))
    clock.advance(300)
    [copy] = dead.batch_receive_message(16, 0)  # nobody touched the source since the send
    assert copy.msgBody == "expired in the source"
    assert _bodies(source) == []


def test_a_dead_letter_copy_lives_for_the_dead_letter_queue_s_retention(
    account: Account, clock: VirtualClock
) -> None:
    dead = make_queue(account, "short-dead", msgRetentionSeconds=60)
    source = make_queue(account, "long-src", msgRetentionSeconds=3600, visibilityTimeout=5)
    _dead_letter(account, "long-src", "short-dead", policy=0, maxReceiveCount=1)
    source.send_message(Message("m"))
    source.receive_message(0)
    clock.advance(5)
    assert source.get_attributes().activeMsgNum == 0  # moved now
    clock.advance(59.999)
    assert dead.get_attributes().activeMsgNum == 1
    clock.advance(0.001)
    assert dead.get_attributes().activeMsgNum == 0


def test_a_move_to_the_dead_letter_queue_wakes_its_long_poll(emu: Emulator, clock: VirtualClock) -> None:
    account = account_for(emu)
    dead = make_queue(account, "wake-dead")
    source = make_queue(account, "wake-src", visibilityTimeout=30, rewindSeconds=600)
    _dead_letter(account, "wake-src", "wake-dead", policy=0, maxReceiveCount=1)
    start = int(clock.now())
    source.send_message(Message("bounce"))
    source.delete_message(source.receive_message(0).receiptHandle)  # kept for rewind
    waiter, outcome = _wait_in_thread(account_for(emu).get_queue("wake-dead"), 10, clock)
    source.rewindQueue(start)  # back on the same clock second, its one receive spent
    assert _server_error(source.receive_message, 0).code == 7000  # this receive moves it
    waiter.join(timeout=3)
    assert outcome == ["bounce"]
    assert dead.get_attributes().inactiveMsgNum == 1


# ------------------------------------------------------------------------------------------ receive


def test_a_delayed_message_becomes_receivable_exactly_delay_seconds_after_the_send(
    account: Account, clock: VirtualClock
) -> None:
    queue = make_queue(account, "later")
    sent = queue.send_message(Message("wait for it"), delayTime=10)
    clock.advance(9.999)
    assert _server_error(queue.receive_message, 0).code == 7000
    assert queue.get_attributes().delayMsgNum == 1
    clock.advance(0.001)
    got = queue.receive_message(0)
    assert (got.msgId, got.msgBody) == (sent.msgId, "wait for it")


def test_a_batch_receive_never_hands_out_more_than_asked_around_an_expired_message(
    account: Account, clock: VirtualClock
) -> None:
    queue = make_queue(account, "around", msgRetentionSeconds=60)
    queue.send_message(Message("delayed-and-old"), delayTime=5)  # the oldest, ready after 5 s
    clock.advance(1)
    queue.send_message(Message("first"))
    clock.advance(5)
    queue.batch_send_message([Message("second"), Message("third")])
    clock.advance(54.5)  # the delayed one has expired, sitting between the ready ones
    got = queue.batch_receive_message(2, 0)
    assert [m.msgBody for m in got] == ["first", "second"]
    assert [m.msgBody for m in queue.batch_receive_message(16, 0)] == ["third"]


# ---------------------------------------------------------------------------------- rewind window


def test_deleted_messages_stay_rewindable_for_exactly_rewind_seconds(
    account: Account, clock: VirtualClock
) -> None:
    queue = make_queue(account, "window", rewindSeconds=60)
    queue.send_message(Message("m"))
    queue.delete_message(queue.receive_message(0).receiptHandle)
    assert queue.get_attributes().rewindmsgNum == 1
    clock.advance(60)
    assert queue.get_attributes().rewindmsgNum == 1
    clock.advance(0.001)
    assert queue.get_attributes().rewindmsgNum == 0


def test_a_queue_without_rewind_forgets_deleted_messages(account: Account) -> None:
    queue = make_queue(account, "norewind")
    queue.send_message(Message("m"))
    queue.delete_message(queue.receive_message(0).receiptHandle)
    assert queue.get_attributes().rewindmsgNum == 0
    short = make_queue(account, "onesecond", rewindSeconds=1)
    short.send_message(Message("kept"))
    assert short.get_attributes().rewindmsgNum == 0  # nothing deleted yet
    short.delete_message(short.receive_message(0).receiptHandle)
    assert short.get_attributes().rewindmsgNum == 1


def test_rewind_to_the_first_second_of_the_window(account: Account, clock: VirtualClock) -> None:
    queue = make_queue(account, "edge", rewindSeconds=600)
    start = int(clock.now())
    queue.send_message(Message("a"))
    queue.delete_message(queue.receive_message(0).receiptHandle)
    clock.advance(600)
    queue.rewindQueue(start)  # exactly rewindSeconds back is inside the window
    assert _bodies(queue) == ["a"]
    error = _server_error(queue.rewindQueue, start - 1)
    assert (error.code, error.message[:7]) == (4000, "(10680)")
    assert f"{start - 1} is outside the rewind window of the last 600 seconds" in error.message
    off = make_queue(account, "off")
    error = _server_error(off.rewindQueue, start)
    assert (error.code, error.message[:7]) == (6050, "(10670)")
    assert "`off`" in error.message


# ------------------------------------------------------------------------------------ receipt handles


@pytest.mark.parametrize("handle", ["bogus", "abc:def", "9" * 19 + ":00", "99999999999999999999:x"])
def test_a_malformed_receipt_handle_is_invalid_not_an_internal_error(account: Account, handle: str) -> None:
    queue = make_queue(account, "handles")
    queue.send_message(Message("m"))
    queue.receive_message(0)
    error = _server_error(queue.delete_message, handle)
    expected = f"(10260)The receipt handle `{handle}` is invalid or expired."
    assert (error.code, error.message) == (4430, expected)


def test_an_error_quotes_at_most_80_characters_of_a_handle(account: Account) -> None:
    queue = make_queue(account, "longhandle")
    handle = "1:" + "a" * 120
    error = _server_error(queue.delete_message, handle)
    assert error.message == f"(10260)The receipt handle `{handle[:80]}` is invalid or expired."


def test_the_backend_names_the_api_code_of_each_message_error(emu: Emulator) -> None:
    backend = emu.backend
    backend.call("CreateCmqQueue", {"QueueName": "codes"})
    with pytest.raises(ApiError) as info:
        backend.send("ghost", "x")
    assert (info.value.code, info.value.message) == ("ResourceNotFound", "Queue `ghost` does not exist.")
    with pytest.raises(ApiError) as info:
        backend.publish("nowhere", "x")
    assert (info.value.code, info.value.message) == (
        "ResourceNotFound.Topic",
        "Topic `nowhere` does not exist.",
    )
    with pytest.raises(ApiError) as info:
        backend.delete("codes", "1:nothing")
    assert info.value.code == "InvalidParameterValue"
    with pytest.raises(ApiError) as info:
        backend.rewind("codes", emu.clock.now())
    assert info.value.code == "FailedOperation"


def test_missing_queues_and_topics_are_named_with_their_cmq_module(account: Account) -> None:
    error = _server_error(account.get_queue("ghost").send_message, Message("x"))
    assert (error.code, error.message) == (4440, "(10100)Queue `ghost` does not exist.")
    error = _server_error(account.get_topic("nowhere").publish_message, TopicMessage("x"))
    assert (error.code, error.message) == (4440, "(10600)Topic `nowhere` does not exist.")


# ------------------------------------------------------------------------------------------ fan-out


def _queue_subscription(account: Account, topic: str, name: str, queue: str) -> None:
    meta = SubscriptionMeta()
    meta.Endpoint, meta.Protocal, meta.NotifyContentFormat = queue, "queue", "SIMPLIFIED"
    account.get_subscription(topic, name).create(meta)


def test_a_queue_that_refuses_its_copy_does_not_stop_the_others(account: Account) -> None:
    topic = account.get_topic("spread")
    topic.create(TopicMeta())
    small = make_queue(account, "small-target", maxMsgSize=1024)
    gone = make_queue(account, "gone-target")
    big = make_queue(account, "big-target")
    _queue_subscription(account, "spread", "a", "small-target")
    _queue_subscription(account, "spread", "b", "gone-target")
    _queue_subscription(account, "spread", "c", "big-target")
    gone.delete()
    topic.publish_message(TopicMessage("x" * 2000))  # over the first queue's maxMsgSize
    assert (_bodies(small), _bodies(big)) == ([], ["x" * 2000])
    make_queue(account, "gone-target")
    topic.publish_message(TopicMessage("short"))
    assert _bodies(small) == _bodies(big) == ["short"] == _bodies(account.get_queue("gone-target"))


def test_a_publish_wakes_the_long_poll_of_a_subscribed_queue(emu: Emulator, clock: VirtualClock) -> None:
    account = account_for(emu)
    account.get_topic("ring").create(TopicMeta())
    make_queue(account, "bell")
    _queue_subscription(account, "ring", "s", "bell")
    waiter, outcome = _wait_in_thread(account_for(emu).get_queue("bell"), 10, clock)
    account.get_topic("ring").publish_message(TopicMessage("ding"))
    waiter.join(timeout=3)
    assert outcome == ["ding"]


def test_a_queue_refuses_a_body_over_its_max_msg_size_by_name(account: Account) -> None:
    queue = make_queue(account, "narrow", maxMsgSize=1024)
    error = _server_error(queue.send_message, Message("é" * 513))  # 1026 bytes in UTF-8
    assert (error.code, error.message) == (
        4400,
        "(10230)The value of parameter `msgBody` is invalid: 1026 bytes is over the queue's MaxMsgSize 1024.",
    )


def test_a_topic_refuses_a_body_over_its_own_max_msg_size(account: Account) -> None:
    topic = account.get_topic("tiny")
    meta = TopicMeta()
    meta.maxMsgSize = 1024
    topic.create(meta)
    error = _server_error(topic.publish_message, TopicMessage("x" * 1025))
    assert (error.code, error.message) == (
        4400,
        "(10230)The value of parameter `msgBody` is invalid: 1025 bytes is over the topic's MaxMsgSize 1024.",
    )
