"""Each documented rule the emulator once bent, through the unmodified CMQ SDK (and the TDMQ SDK
where the API 3.0 door is concerned): the dead-letter rules, the error table's modules, strict
integers and ranges, the 64 KB batch, empty bodies and wildcard routing keys on both doors,
rewind leaving delayed and in-flight messages alone, a 3xx push, concurrent pushes, a
dead-letter long poll woken by the move, a topic's backlog count, and idle keep-alive."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from cmq.account import Account
from cmq.cmq_exception import CMQServerException
from cmq.queue import Message
from cmq.subscription import SubscriptionMeta
from cmq.topic import Message as TopicMessage
from cmq.topic import TopicMeta
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cmqinfra.emulator import Emulator, VirtualClock
from cmqinfra.emulator import httpserver as emulator_httpserver

from .conftest import account_for, api3, make_queue


def _error(call: Any, *args: Any) -> tuple[int, str]:
    with pytest.raises(CMQServerException) as info:
        call(*args)
    return int(info.value.code), str(info.value.message)


def _module(message: str) -> int:
    return int(message[1 : message.index(")")])


def _dead_letter(account: Account, source: str, dead: str) -> dict[str, Any]:
    return account.cmq_client.set_queue_attributes(
        {"queueName": source, "deadLetterPolicy": json.dumps({"deadLetterQueue": dead, "maxReceiveCount": 3})}
    )


# ------------------------------------------------------------------------------------- dead letters


def test_a_dead_letter_queue_cannot_have_one_itself_on_the_cmq_door(account: Account) -> None:
    for name in ("src", "dead", "grave", "other"):
        make_queue(account, name)
    _dead_letter(account, "dead", "grave")
    code, message = _error(_dead_letter, account, "src", "dead")  # dead has its own
    assert (code, _module(message)) == (4000, 10740)
    _dead_letter(account, "src", "other")
    code, message = _error(_dead_letter, account, "other", "grave")  # other serves src already
    assert (code, _module(message)) == (4000, 10740)


def test_a_dead_letter_queue_serves_at_most_six_sources_on_the_cmq_door(account: Account) -> None:
    make_queue(account, "dead")
    for index in range(7):
        make_queue(account, f"s{index}")
    for index in range(6):
        _dead_letter(account, f"s{index}", "dead")
    _dead_letter(account, "s0", "dead")  # setting it again is not a 7th source
    code, message = _error(_dead_letter, account, "s6", "dead")
    assert (code, _module(message)) == (4000, 10780)
    account.get_queue("s0").delete()
    _dead_letter(account, "s6", "dead")  # a freed place can be taken


def test_the_dead_letter_rules_hold_on_the_api3_door(tdmq: Any) -> None:
    for name in ("dead", "grave", *[f"s{i}" for i in range(7)]):
        api3(tdmq, "CreateCmqQueue", {"QueueName": name})
    api3(tdmq, "ModifyCmqQueueAttribute", {"QueueName": "dead", "DeadLetterQueueName": "grave",
                                            "Policy": 0, "MaxReceiveCount": 3})
    with pytest.raises(TencentCloudSDKException) as info:
        api3(tdmq, "CreateCmqQueue", {"QueueName": "nested", "DeadLetterQueueName": "dead",
                                      "Policy": 0, "MaxReceiveCount": 3})
    assert info.value.code == "InvalidParameterValue" and "do not nest" in info.value.message
    api3(tdmq, "UnbindCmqDeadLetter", {"SourceQueueName": "dead"})
    for index in range(6):
        api3(tdmq, "ModifyCmqQueueAttribute", {"QueueName": f"s{index}", "DeadLetterQueueName": "dead",
                                                "Policy": 0, "MaxReceiveCount": 3})
    with pytest.raises(TencentCloudSDKException) as info:
        api3(tdmq, "ModifyCmqQueueAttribute", {"QueueName": "s6", "DeadLetterQueueName": "dead",
                                                "Policy": 0, "MaxReceiveCount": 3})
    assert info.value.code == "LimitExceeded" and "at most 6" in info.value.message


def test_dead_letter_errors_carry_the_documented_modules(account: Account) -> None:
    make_queue(account, "src")
    make_queue(account, "dead")
    code, message = _error(_dead_letter, account, "src", "missing")
    assert (code, _module(message)) == (4000, 10730)
    _dead_letter(account, "src", "dead")
    code, message = _error(account.get_queue("dead").delete)
    assert (code, _module(message)) == (4000, 10750)


# -------------------------------------------------------------------------- the error table's modules


def test_too_many_tags_and_keys_carry_the_documented_modules(account: Account) -> None:
    account.get_topic("tags").create(TopicMeta())
    code, message = _error(account.get_topic("tags").publish_message, TopicMessage("m", list("abcdef")))
    assert (code, _module(message)) == (4000, 10720)
    base = {"topicName": "tags", "subscriptionName": "s", "protocol": "queue", "endpoint": "x"}
    make_queue(account, "x")
    code, message = _error(account.cmq_client.create_subscription,
                           {**base, **{f"filterTag.{i}": f"t{i}" for i in range(1, 7)}})
    assert (code, _module(message)) == (4000, 10490)
    meta = TopicMeta()
    meta.filterType = 2
    account.get_topic("keys").create(meta)
    code, message = _error(account.cmq_client.create_subscription,
                           {**base, "topicName": "keys", **{f"bindingKey.{i}": f"k{i}" for i in range(1, 7)}})
    assert (code, _module(message)) == (4000, 10680)


# ---------------------------------------------------------------------------- integers and ranges


@pytest.mark.parametrize("value", [" 5", "5 ", "+5", "5_0", "\u0665", "５", "0x5", "5.0"])
def test_delay_seconds_takes_ascii_digits_only(account: Account, value: str) -> None:
    make_queue(account, "digits")
    params = {"queueName": "digits", "msgBody": "m", "delaySeconds": value}
    code, message = _error(account.cmq_client.send_message, params)
    assert (code, _module(message)) == (4000, 10360)
    assert account.get_queue("digits").get_attributes().delayMsgNum == 0


def test_plain_digits_still_work(account: Account) -> None:
    make_queue(account, "digits")
    account.cmq_client.send_message({"queueName": "digits", "msgBody": "m", "delaySeconds": "5"})
    assert account.get_queue("digits").get_attributes().delayMsgNum == 1


# --------------------------------------------------------------------------------------- batches


def test_a_batch_is_64_kb_at_most(account: Account) -> None:
    queue = make_queue(account, "batch")
    body = "x" * 5000
    code, message = _error(queue.batch_send_message, [Message(body) for _ in range(16)])  # 80 KB
    assert (code, _module(message)) == (4470, 10300)
    assert queue.get_attributes().activeMsgNum == 0
    queue.batch_send_message([Message(body) for _ in range(13)])  # 65,000 bytes
    assert queue.get_attributes().activeMsgNum == 13
    account.get_topic("t").create(TopicMeta())
    code, message = _error(account.get_topic("t").batch_publish_message, [TopicMessage(body)] * 16)
    assert (code, _module(message)) == (4470, 10300)


# ------------------------------------------------------- empty bodies and wildcard keys on both doors


def test_an_empty_body_is_refused_by_both_doors(account: Account, tdmq: Any) -> None:
    make_queue(account, "empty")
    account.get_topic("t").create(TopicMeta())
    assert _error(account.cmq_client.send_message, {"queueName": "empty", "msgBody": ""})[0] == 4000
    for action, params in (
        ("SendCmqMsg", {"QueueName": "empty", "MsgContent": "", "DelaySeconds": 0}),
        ("PublishCmqMsg", {"TopicName": "t", "MsgContent": ""}),
    ):
        with pytest.raises(TencentCloudSDKException) as info:
            api3(tdmq, action, params)
        assert info.value.code == "InvalidParameterValue", action
    assert account.get_queue("empty").get_attributes().activeMsgNum == 0


def test_a_wildcard_routing_key_is_refused_by_both_doors(account: Account, tdmq: Any) -> None:
    meta = TopicMeta()
    meta.filterType = 2
    account.get_topic("route").create(meta)
    make_queue(account, "all")
    sub = SubscriptionMeta()
    sub.Endpoint, sub.Protocal, sub.bindingKey = "all", "queue", ["#"]
    sub.NotifyContentFormat = "SIMPLIFIED"
    account.get_subscription("route", "all").create(sub)
    for key in ("a.*", "#"):
        assert _error(account.get_topic("route").publish_message, TopicMessage("m"), key)[0] == 4000
        with pytest.raises(TencentCloudSDKException) as info:
            api3(tdmq, "PublishCmqMsg", {"TopicName": "route", "MsgContent": "m", "MsgTag": [key]})
        assert info.value.code == "InvalidParameterValue"
    assert account.get_queue("all").get_attributes().activeMsgNum == 0
    api3(tdmq, "PublishCmqMsg", {"TopicName": "route", "MsgContent": "m", "MsgTag": ["a.b"]})
    assert account.get_queue("all").get_attributes().activeMsgNum == 1


# ----------------------------------------------------------------------------------------- rewind


def test_rewind_leaves_delayed_and_in_flight_messages_alone(account: Account, clock: VirtualClock) -> None:
    queue = make_queue(account, "rw", rewindSeconds=600, visibilityTimeout=60)
    start = int(clock.now())
    queue.send_message(Message("done"))
    queue.delete_message(queue.receive_message(0).receiptHandle)
    queue.send_message(Message("held"))
    held = queue.receive_message(0)
    queue.send_message(Message("later"), 120)
    clock.advance(1)
    queue.rewindQueue(start)
    assert [m.msgBody for m in queue.batch_receive_message(16, 0)] == ["done"]
    attrs = queue.get_attributes()
    assert attrs.delayMsgNum == 1  # still delayed
    queue.delete_message(held.receiptHandle)  # the in-flight handle still deletes


# ------------------------------------------------------------------------------------------- push


class _Redirecting(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).hits.append(self.path)
        if self.path == "/hook":
            self.send_response(302)
            self.send_header("Location", "/landing")
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def redirecting() -> Iterator[str]:
    _Redirecting.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _hook(account: Account, topic: str, url: str, name: str = "hook") -> None:
    meta = SubscriptionMeta()
    meta.Endpoint, meta.Protocal, meta.NotifyStrategy, meta.NotifyContentFormat = (
        url, "http", "BACKOFF_RETRY", "SIMPLIFIED")
    account.get_subscription(topic, name).create(meta)


def test_a_302_answer_is_a_failed_push_not_followed(
    emu: Emulator, account: Account, redirecting: str
) -> None:
    account.get_topic("r").create(TopicMeta())
    _hook(account, "r", redirecting)
    account.get_topic("r").publish_message(TopicMessage("m"))
    assert emu.backend.deliver_due() == 0
    [attempt] = emu.backend.push_log
    assert attempt.status == 302 and not attempt.delivered and attempt.next_retry is not None
    assert _Redirecting.hits == ["/hook"]


@pytest.fixture
def hanging() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hang"
    finally:
        listener.close()


def test_a_hanging_subscriber_does_not_hold_up_the_others(
    real_emu: Emulator, hanging: str, push_target: Any
) -> None:
    account = account_for(real_emu)
    account.get_topic("fan").create(TopicMeta())
    _hook(account, "fan", hanging, "slow")
    _hook(account, "fan", push_target.url, "fast")
    started = time.monotonic()
    for index in range(3):
        account.get_topic("fan").publish_message(TopicMessage(f"m{index}"))
    deadline = time.monotonic() + 5
    while len(push_target.received) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(body for _, body in push_target.received) == [b"m0", b"m1", b"m2"]
    assert time.monotonic() - started < 5  # not 15 s per message behind the hanging one


def test_a_topics_msg_count_is_its_backlog(
    emu: Emulator, account: Account, push_target: Any, tdmq: Any
) -> None:
    account.get_topic("bl").create(TopicMeta())
    _hook(account, "bl", push_target.url)
    for index in range(3):
        account.get_topic("bl").publish_message(TopicMessage(f"m{index}"))
    assert account.get_topic("bl").get_attributes().msgCount == 3
    assert api3(tdmq, "DescribeCmqTopicDetail", {"TopicName": "bl"})["TopicDescribe"]["MsgCount"] == 3
    assert emu.backend.deliver_due() == 3
    assert account.get_topic("bl").get_attributes().msgCount == 0
    assert api3(tdmq, "DescribeCmqTopicDetail", {"TopicName": "bl"})["TopicDescribe"]["MsgCount"] == 0


# ---------------------------------------------------------------------------- dead-letter long poll


def test_a_dead_letter_long_poll_wakes_when_the_move_falls_due(real_emu: Emulator) -> None:
    account = account_for(real_emu)
    make_queue(account, "dl-dead")
    source = make_queue(account, "dl-src", visibilityTimeout=1)
    _dead_letter(account, "dl-src", "dl-dead")
    account.cmq_client.set_queue_attributes({"queueName": "dl-src", "deadLetterPolicy": json.dumps(
        {"deadLetterQueue": "dl-dead", "policy": 0, "maxReceiveCount": 1})})
    source.send_message(Message("poison"))
    source.receive_message(0)  # its one receive: dead once visible again, 1 s from now
    started = time.monotonic()
    got = account.get_queue("dl-dead").receive_message(10)
    assert got.msgBody == "poison"
    assert time.monotonic() - started < 4  # at the move, not at the poll's 10 s deadline


# ------------------------------------------------------------------------------------- keep-alive


def test_an_idle_keep_alive_connection_outlives_the_stall_bound(
    real_emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stall bound (a body that never comes) is shrunk to 1 s; an idle connection between two
    # SDK calls must still be there after it, as it is after 61 s with the real bound.
    monkeypatch.setattr(emulator_httpserver._RequestHandler, "timeout", 1)
    assert emulator_httpserver._RequestHandler.keepalive_idle > 3600 + 30
    account = account_for(real_emu)
    queue = make_queue(account, "idle")
    queue.send_message(Message("m"))
    time.sleep(1.6)
    assert queue.receive_message(0).msgBody == "m"
