"""HTTP push to http subscriptions: both body formats, both retry schedules, 2xx only is success."""

from __future__ import annotations

import json
import time

import pytest
from cmq.account import Account
from cmq.subscription import SubscriptionMeta
from cmq.topic import Message as TopicMessage
from cmq.topic import TopicMeta

from cmqinfra.emulator import Emulator, VirtualClock

from .conftest import PushTarget, account_for


def _http_subscription(account: Account, topic: str, url: str, strategy: str, fmt: str, tags=()) -> None:  # type: ignore[no-untyped-def]
    account.get_topic(topic).create(TopicMeta())
    meta = SubscriptionMeta()
    meta.Endpoint, meta.Protocal, meta.NotifyStrategy, meta.NotifyContentFormat = url, "http", strategy, fmt
    meta.FilterTag = list(tags)
    account.get_subscription(topic, "hook").create(meta)


def test_json_push_body_and_headers(emu: Emulator, account: Account, push_target: PushTarget) -> None:
    _http_subscription(account, "news", push_target.url, "BACKOFF_RETRY", "JSON")
    msg_id = account.get_topic("news").publish_message(TopicMessage("héllo", ["red", "blue"])).msgId
    assert emu.backend.deliver_due() == 1
    [(headers, body)] = push_target.received
    doc = json.loads(body)
    assert doc == {
        "TopicOwner": doc["TopicOwner"],
        "topicName": "news",
        "subscriptionName": "hook",
        "msgId": msg_id,
        "msgBody": "héllo",
        "publishTime": int(emu.clock.now()),
    }
    assert isinstance(doc["TopicOwner"], int)
    assert headers["content-type"] == "text/plain"
    assert headers["user-agent"] == "Qcloud Notification Service Agent"
    assert headers["x-cmq-message-id"] == msg_id
    assert headers["x-cmq-message-tag"] == "red, blue"
    assert account.get_subscription("news", "hook").get_attributes().inactiveMsgNum == 0


def test_simplified_push_is_the_raw_body(emu: Emulator, account: Account, push_target: PushTarget) -> None:
    _http_subscription(account, "raw", push_target.url, "EXPONENTIAL_DECAY_RETRY", "SIMPLIFIED")
    account.get_topic("raw").publish_message(TopicMessage('{"k": 1}'))
    emu.backend.deliver_due()
    assert [body for _, body in push_target.received] == [b'{"k": 1}']


def test_backoff_retry_tries_three_more_times_10_to_20_s_apart_then_gives_up(
    emu: Emulator, account: Account, clock: VirtualClock, push_target: PushTarget
) -> None:
    push_target.script = [500, 503, 404, 302, 200]  # nothing but a 2xx is success: 200 never reached
    _http_subscription(account, "flaky", push_target.url, "BACKOFF_RETRY", "JSON")
    account.get_topic("flaky").publish_message(TopicMessage("m"))
    for _ in range(200):
        emu.backend.deliver_due()
        clock.advance(1)
    attempts = list(emu.backend.push_log)
    assert [a.status for a in attempts] == [500, 503, 404, 302]
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:], strict=False)]
    assert all(10 <= gap <= 21 for gap in gaps), gaps
    assert attempts[-1].next_retry is None and not attempts[-1].delivered
    assert account.get_subscription("flaky", "hook").get_attributes().inactiveMsgNum == 0


def test_exponential_decay_retry_doubles_until_a_2xx(
    emu: Emulator, account: Account, clock: VirtualClock, push_target: PushTarget
) -> None:
    push_target.script = [500] * 6 + [204]
    _http_subscription(account, "decay", push_target.url, "EXPONENTIAL_DECAY_RETRY", "SIMPLIFIED")
    account.get_topic("decay").publish_message(TopicMessage("m"))
    assert account.get_subscription("decay", "hook").get_attributes().inactiveMsgNum == 1
    for _ in range(100):
        emu.backend.deliver_due()
        clock.advance(1)
    attempts = list(emu.backend.push_log)
    assert [a.status for a in attempts] == [500] * 6 + [204]
    assert [round(b.at - a.at) for a, b in zip(attempts, attempts[1:], strict=False)] == [1, 2, 4, 8, 16, 32]
    assert attempts[-1].delivered
    assert account.get_subscription("decay", "hook").get_attributes().inactiveMsgNum == 0


def test_an_unreachable_endpoint_is_a_failed_try(emu: Emulator, account: Account) -> None:
    _http_subscription(account, "gone", "http://127.0.0.1:9/nothing", "EXPONENTIAL_DECAY_RETRY", "JSON")
    account.get_topic("gone").publish_message(TopicMessage("m"))
    emu.backend.deliver_due()
    [attempt] = emu.backend.push_log
    assert attempt.status is None and attempt.next_retry == pytest.approx(emu.clock.now() + 1)


def test_tag_filtered_http_subscription_skips_other_tags(
    emu: Emulator, account: Account, push_target: PushTarget
) -> None:
    _http_subscription(account, "filtered", push_target.url, "BACKOFF_RETRY", "SIMPLIFIED", tags=["keep"])
    topic = account.get_topic("filtered")
    topic.publish_message(TopicMessage("dropped", ["other"]))
    topic.publish_message(TopicMessage("kept", ["keep"]))
    emu.backend.deliver_due()
    assert [body for _, body in push_target.received] == [b"kept"]


def test_the_background_loop_pushes_on_the_real_clock(tmp_path, push_target: PushTarget) -> None:  # type: ignore[no-untyped-def]
    with Emulator.start(tmp_path / "loop.sqlite3", rate_limits=False) as emu:
        account = account_for(emu)
        _http_subscription(account, "live", push_target.url, "EXPONENTIAL_DECAY_RETRY", "SIMPLIFIED")
        push_target.script = [500]
        account.get_topic("live").publish_message(TopicMessage("m"))
        deadline = time.monotonic() + 5
        while len(push_target.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [body for _, body in push_target.received] == [b"m", b"m"]  # failed, retried 1 s later
