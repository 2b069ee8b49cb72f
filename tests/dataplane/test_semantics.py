"""Each message semantic of the CMQ API, through the CMQ SDK, on the emulator's virtual clock."""

from __future__ import annotations

import json
import threading
import time

import pytest
from cmq.account import Account
from cmq.cmq_exception import CMQServerException
from cmq.queue import Message
from cmq.subscription import SubscriptionMeta
from cmq.topic import Message as TopicMessage
from cmq.topic import TopicMeta
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cmqinfra.emulator import Emulator, VirtualClock
from cmqinfra.routing import binding_keys_match, filter_tags_match

from .conftest import account_for, api3, cmq_code, make_queue


def test_visibility_timeout_hides_and_an_old_receipt_handle_stops_working(
    account: Account, clock: VirtualClock
) -> None:
    queue = make_queue(account, "vis", visibilityTimeout=20)
    queue.send_message(Message("m"))
    first = queue.receive_message(0)
    clock.advance(19)
    assert cmq_code(queue.receive_message, 0) == 7000  # still hidden
    clock.advance(1)
    second = queue.receive_message(0)
    assert second.msgId == first.msgId and second.receiptHandle != first.receiptHandle
    assert cmq_code(queue.delete_message, first.receiptHandle) == 4430
    queue.delete_message(second.receiptHandle)
    clock.advance(60)
    assert cmq_code(queue.receive_message, 0) == 7000  # a deleted message never comes back


def test_a_handle_expires_with_the_visibility_window(account: Account, clock: VirtualClock) -> None:
    queue = make_queue(account, "late", visibilityTimeout=5)
    queue.send_message(Message("m"))
    handle = queue.receive_message(0).receiptHandle
    clock.advance(5)
    assert cmq_code(queue.delete_message, handle) == 4430


def test_dequeue_count_and_the_times(account: Account, clock: VirtualClock) -> None:
    queue = make_queue(account, "times", visibilityTimeout=30)
    sent_at = int(clock.now())
    queue.send_message(Message("m"))
    clock.advance(7)
    first = queue.receive_message(0)
    assert (first.enqueueTime, first.firstDequeueTime, first.nextVisibleTime, first.dequeueCount) == (
        sent_at,
        sent_at + 7,
        sent_at + 37,
        1,
    )
    clock.advance(30)
    again = queue.receive_message(0)
    assert (again.enqueueTime, again.firstDequeueTime, again.nextVisibleTime, again.dequeueCount) == (
        sent_at,
        sent_at + 7,
        sent_at + 67,
        2,
    )


def test_long_poll_blocks_until_the_clock_reaches_its_deadline(emu: Emulator, clock: VirtualClock) -> None:
    account = account_for(emu)
    queue = make_queue(account, "wait", pollingWaitSeconds=5)
    outcome: list[object] = []
    waiter = threading.Thread(target=lambda: outcome.append(_code_or_body(queue.receive_message)))
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive()  # the queue's pollingWaitSeconds (no value in the call) holds it
    clock.advance(5)
    waiter.join(timeout=5)
    assert outcome == [7000]


def _code_or_body(call, *args):  # type: ignore[no-untyped-def]
    from cmq.cmq_exception import CMQServerException

    try:
        return call(*args).msgBody
    except CMQServerException as error:
        return int(error.code)


def test_long_poll_returns_as_soon_as_a_message_arrives_without_busy_waiting(real_emu: Emulator) -> None:
    account = account_for(real_emu)
    queue = make_queue(account, "wake")
    statements: list[str] = []
    outcome: list[object] = []
    waiter = threading.Thread(target=lambda: outcome.append(_code_or_body(queue.receive_message, 20)))
    waiter.start()
    time.sleep(0.3)
    real_emu.store._conn.set_trace_callback(statements.append)
    time.sleep(1.0)
    idle = len(statements)
    sent = time.monotonic()
    account_for(real_emu).get_queue("wake").send_message(Message("now"))
    waiter.join(timeout=5)
    woke = time.monotonic() - sent
    real_emu.store._conn.set_trace_callback(None)
    assert outcome == ["now"]
    assert woke < 0.5, woke
    assert idle == 0, statements[:10]  # a second of waiting ran no SQL at all


def test_batch_receive_up_to_16_and_partial_batches(account: Account) -> None:
    queue = make_queue(account, "batch")
    queue.batch_send_message([Message(str(i)) for i in range(16)])
    queue.batch_send_message([Message(str(i)) for i in range(16, 20)])
    assert cmq_code(queue.batch_send_message, [Message("x")] * 17) == 4000
    assert cmq_code(queue.batch_receive_message, 17, 0) == 4000
    first = queue.batch_receive_message(16, 0)
    rest = queue.batch_receive_message(16, 0)
    assert (len(first), len(rest)) == (16, 4)
    assert sorted(int(m.msgBody) for m in first + rest) == list(range(20))
    assert cmq_code(queue.batch_receive_message, 16, 0) == 7000
    handles = [m.receiptHandle for m in first]
    code = cmq_code(queue.batch_delete_message, [*handles[:2], "1:bogus"])
    assert code == 6010  # partial failure; the two good handles were deleted
    meta = queue.get_attributes()
    assert meta.inactiveMsgNum == 18


def test_batch_delete_is_each_handle_in_order(account: Account) -> None:
    """A batch delete answers as the deletes one by one would: a handle given twice succeeds once,
    a handle of another queue or a stale one fails, and only the good ones are gone."""
    queue, other = make_queue(account, "order"), make_queue(account, "elsewhere")
    queue.batch_send_message([Message(str(i)) for i in range(3)])
    other.send_message(Message("x"))
    first, second, third = queue.batch_receive_message(3, 0)
    foreign = other.receive_message(0).receiptHandle
    assert cmq_code(queue.batch_delete_message, [first.receiptHandle, first.receiptHandle]) == 6010
    assert cmq_code(queue.batch_delete_message, [foreign, first.receiptHandle]) == 6020
    queue.batch_delete_message([second.receiptHandle, third.receiptHandle])
    assert cmq_code(queue.batch_delete_message, [third.receiptHandle]) == 6020
    assert queue.get_attributes().inactiveMsgNum == 0
    assert other.get_attributes().inactiveMsgNum == 1  # the foreign handle deleted nothing


def test_retention_expiry_drops_messages(account: Account, clock: VirtualClock) -> None:
    queue = make_queue(account, "retain", msgRetentionSeconds=60)
    queue.send_message(Message("old"))
    clock.advance(59)
    assert queue.get_attributes().activeMsgNum == 1
    clock.advance(1)
    assert cmq_code(queue.receive_message, 0) == 7000  # the receive itself drops it
    assert queue.get_attributes().activeMsgNum == 0
    queue.send_message(Message("new"))
    clock.advance(60)
    assert queue.get_attributes().activeMsgNum == 0  # and so does counting


def test_max_msg_heap_num_refuses_sends_over_the_backlog(emu: Emulator, account: Account, tdmq) -> None:
    queue = make_queue(account, "heap", maxMsgHeapNum=1_000_000)
    queue.send_message(Message("first"))
    with emu.store.transaction() as conn:  # fill the rest of the backlog without a million calls
        _fill(conn)
    with pytest.raises(CMQServerException) as info:
        queue.send_message(Message("one too many"))
    assert (info.value.code, info.value.message) == (
        4410,
        "(10240)Queue `heap` holds its MaxMsgHeapNum of 1000000 messages.",
    )
    with pytest.raises(TencentCloudSDKException) as refused:
        api3(tdmq, "SendCmqMsg", {"QueueName": "heap", "MsgContent": "x", "DelaySeconds": 0})
    assert refused.value.code == "FailedOperation"
    queue.delete_message(queue.receive_message(0).receiptHandle)
    assert cmq_code(queue.batch_send_message, [Message("a"), Message("b")]) == 4410  # one place, two
    queue.send_message(Message("room again"))


def test_a_send_does_not_count_the_backlog_while_no_queue_can_be_full(real_emu: Emulator) -> None:
    """The backlog check walks the queue's rows only when the table could hold a full queue:
    otherwise a send would cost time in proportion to the backlog."""
    queue = make_queue(account_for(real_emu), "deep")
    queue.batch_send_message([Message(str(i)) for i in range(16)])
    statements: list[str] = []
    real_emu.store._conn.set_trace_callback(statements.append)
    try:
        queue.send_message(Message("one more"))
    finally:
        real_emu.store._conn.set_trace_callback(None)
    assert statements and not [s for s in statements if "COUNT(" in s.upper()], statements


def test_send_receive_delete_do_not_walk_the_backlog(real_emu: Emulator) -> None:
    """The SQLite work of a batch send, receive and delete is the same with 100 messages waiting
    as with 20,000: nothing on the message path walks the queue's rows."""
    queue = make_queue(account_for(real_emu), "deep")
    conn = real_emu.store._conn

    def work() -> int:
        steps = [0]

        def tick() -> int:
            steps[0] += 1
            return 0

        conn.set_progress_handler(tick, 100)  # called every 100 SQLite VM instructions
        try:
            queue.batch_send_message([Message(str(i)) for i in range(16)])
            handles = [m.receiptHandle for m in queue.batch_receive_message(16, 0)]
            queue.batch_delete_message(handles)
        finally:
            conn.set_progress_handler(None, 0)
        return steps[0]

    def backlog(size: int) -> None:
        with real_emu.store.transaction() as c:
            c.executemany(
                "INSERT INTO messages (queue_lc, msg_id, body, sent_ms, due_ms, visible_ms, expires_ms)"
                " VALUES ('deep', ?, 'x', 0, 0, 9000000000000, 9000000000000)",  # hidden: not received
                ((f"b{i}",) for i in range(size)),
            )

    backlog(100)
    shallow = work()
    backlog(20_000)
    deep = work()
    assert deep < shallow * 2 + 50, (shallow, deep)


def _fill(conn) -> None:  # type: ignore[no-untyped-def]
    row = conn.execute("SELECT * FROM messages WHERE queue_lc = 'heap'").fetchone()
    conn.executemany(
        "INSERT INTO messages (queue_lc, msg_id, body, sent_ms, due_ms, visible_ms, expires_ms)"
        " VALUES ('heap', ?, 'x', ?, ?, ?, ?)",
        (
            (f"fill{i}", row["sent_ms"], row["due_ms"], row["visible_ms"], row["expires_ms"])
            for i in range(999_999)
        ),
    )


def test_max_msg_size_is_the_queue_s(account: Account) -> None:
    queue = make_queue(account, "small", maxMsgSize=1024)
    queue.send_message(Message("x" * 1024))
    assert cmq_code(queue.send_message, Message("x" * 1025)) == 4400


def test_dead_letter_policy_1_after_max_time_to_live(account: Account, clock: VirtualClock) -> None:
    dead = make_queue(account, "ttl-dead")
    source = make_queue(account, "ttl-source", msgRetentionSeconds=3600)
    account.cmq_client.set_queue_attributes(
        {
            "queueName": "ttl-source",
            "deadLetterPolicy": json.dumps(
                {"deadLetterQueue": "ttl-dead", "policy": 1, "maxTimeToLive": 300}
            ),
        }
    )
    source.send_message(Message("unconsumed"))
    clock.advance(299)
    assert dead.get_attributes().activeMsgNum == 0
    clock.advance(1)
    assert dead.get_attributes().activeMsgNum == 1  # moved without anyone receiving the source
    assert cmq_code(source.receive_message, 0) == 7000
    assert dead.receive_message(0).msgBody == "unconsumed"


def test_rewind_through_rewind_cmq_queue_and_counts_in_api3(
    account: Account, tdmq, clock: VirtualClock
) -> None:
    queue = make_queue(account, "rw", rewindSeconds=3600, visibilityTimeout=30)
    start = int(clock.now())
    queue.batch_send_message([Message("a"), Message("b"), Message("c")])
    clock.advance(2)
    for message in queue.batch_receive_message(2, 0):
        queue.delete_message(message.receiptHandle)
    detail = api3(tdmq, "DescribeCmqQueueDetail", {"QueueName": "rw"})["QueueDescribe"]
    assert (detail["ActiveMsgNum"], detail["InactiveMsgNum"], detail["RewindMsgNum"]) == (1, 0, 2)
    assert detail["MinMsgTime"] == start
    with pytest.raises(Exception, match="rewind window"):
        api3(tdmq, "RewindCmqQueue", {"QueueName": "rw", "StartConsumeTime": start - 3601})
    api3(tdmq, "RewindCmqQueue", {"QueueName": "rw", "StartConsumeTime": start})
    assert sorted(m.msgBody for m in queue.batch_receive_message(16, 0)) == ["a", "b", "c"]


def test_rewind_needs_rewind_seconds(account: Account, clock: VirtualClock) -> None:
    queue = make_queue(account, "norw")
    assert cmq_code(queue.rewindQueue, int(clock.now())) == 6050


def test_clear_cmq_queue_empties_every_state(account: Account, tdmq, clock: VirtualClock) -> None:
    queue = make_queue(account, "clear", rewindSeconds=600)
    queue.batch_send_message([Message("a"), Message("b"), Message("c")])
    queue.send_message(Message("later"), delayTime=100)
    queue.delete_message(queue.receive_message(0).receiptHandle)
    queue.receive_message(0)
    api3(tdmq, "ClearCmqQueue", {"QueueName": "clear"})
    detail = api3(tdmq, "DescribeCmqQueueDetail", {"QueueName": "clear"})["QueueDescribe"]
    assert [detail[k] for k in ("ActiveMsgNum", "InactiveMsgNum", "DelayMsgNum", "RewindMsgNum")] == [
        0,
        0,
        0,
        0,
    ]
    clock.advance(200)
    assert cmq_code(queue.receive_message, 0) == 7000


ROUTING_KEYS = ["", "a", "a.b", "a.b.c", "order.eu.created", "order.created", "x.y.z.w"]
BINDINGS = [["a.*"], ["#"], ["*"], ["a.#"], ["order.*.created", "x.#"], ["*.b.*"], ["#.c"]]


def test_routing_key_fan_out_uses_the_route_matcher(account: Account) -> None:
    topic = account.get_topic("routes")
    meta = TopicMeta()
    meta.filterType = 2
    topic.create(meta)
    for index, keys in enumerate(BINDINGS):
        make_queue(account, f"rq{index}")
        sub = SubscriptionMeta()
        sub.Endpoint, sub.Protocal, sub.NotifyContentFormat, sub.bindingKey = (
            f"rq{index}",
            "queue",
            "SIMPLIFIED",
            keys,
        )
        account.get_subscription("routes", f"s{index}").create(sub)
    for key in ROUTING_KEYS:
        topic.publish_message(TopicMessage(f"k={key}"), routingKey=key)
    for index, keys in enumerate(BINDINGS):
        got = sorted(m.msgBody for m in _drain(account.get_queue(f"rq{index}")))
        expected = sorted(f"k={key}" for key in ROUTING_KEYS if binding_keys_match(keys, key))
        assert got == expected, keys


def test_tag_fan_out_uses_the_route_matcher(account: Account) -> None:
    topic = account.get_topic("tags")
    topic.create(TopicMeta())
    filters = [[], ["a"], ["a", "b"], ["c"]]
    for index, tags in enumerate(filters):
        make_queue(account, f"tq{index}")
        sub = SubscriptionMeta()
        sub.Endpoint, sub.Protocal, sub.NotifyContentFormat, sub.FilterTag = (
            f"tq{index}",
            "queue",
            "SIMPLIFIED",
            tags,
        )
        account.get_subscription("tags", f"s{index}").create(sub)
    published = [[], ["a"], ["b"], ["c", "d"]]
    for tags in published:
        topic.publish_message(TopicMessage("t=" + ",".join(tags), tags))
    for index, wanted in enumerate(filters):
        got = sorted(m.msgBody for m in _drain(account.get_queue(f"tq{index}")))
        assert got == sorted("t=" + ",".join(t) for t in published if filter_tags_match(wanted, t)), wanted


def _drain(queue):  # type: ignore[no-untyped-def]
    from cmq.cmq_exception import CMQServerException

    try:
        return queue.batch_receive_message(16, 0)
    except CMQServerException as error:
        assert error.code == 7000
        return []


def test_a_wait_over_30_seconds_is_refused_not_clamped(emu: Emulator, clock: VirtualClock) -> None:
    # The documented range of pollingWaitSeconds is 0-30 (docs/emulator.md, choice 26).
    queue = make_queue(account_for(emu), "clamp")
    queue.send_message(Message("there"))
    assert cmq_code(queue.receive_message, 31) == 4000
    assert cmq_code(queue.receive_message, 30000) == 4000
    assert queue.receive_message(30).msgBody == "there"


def test_turning_rewind_off_drops_the_kept_messages(account: Account, clock: VirtualClock) -> None:
    queue = make_queue(account, "rw-off", rewindSeconds=600)
    start = int(clock.now())
    queue.send_message(Message("gone"))
    queue.delete_message(queue.receive_message(0).receiptHandle)
    assert queue.get_attributes().rewindmsgNum == 1
    meta = queue.get_attributes()
    meta.rewindSeconds = 0
    queue.set_attributes(meta)
    assert queue.get_attributes().rewindmsgNum == 0
    meta.rewindSeconds = 600
    queue.set_attributes(meta)
    queue.rewindQueue(start)
    assert cmq_code(queue.receive_message, 0) == 7000  # nothing was kept to come back
