"""The ``cmq`` fixture as installed (entry point pytest11; this suite has no conftest for it),
driven through the unmodified CMQ and TDMQ SDKs."""

from __future__ import annotations

import http.server
import json
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cmq.account import Account
from cmq.cmq_exception import CMQServerException
from cmq.queue import Message, QueueMeta
from cmq.subscription import SubscriptionMeta
from cmq.topic import Message as TopicMessage
from cmq.topic import TopicMeta
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.tdmq.v20200217 import tdmq_client

from cmqinfra.testing import LocalCmq, LocalCmqError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def _sdk_log_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the CMQ SDK writes CMQ_python_sdk.log into the working directory


def account(cmq: LocalCmq) -> Account:
    return Account(cmq.endpoint, cmq.secret_id, cmq.secret_key)


def tdmq(cmq: LocalCmq) -> tdmq_client.TdmqClient:
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=cmq.endpoint, reqTimeout=10))
    return tdmq_client.TdmqClient(credential.Credential(cmq.secret_id, cmq.secret_key), cmq.region, profile)


def queue(acc: Account, name: str, **attrs: int) -> Any:
    meta = QueueMeta()
    meta.queueName = name
    for key, value in attrs.items():
        setattr(meta, key, value)
    q = acc.get_queue(name)
    q.create(meta)
    return q


def code(call: Any, *args: Any) -> int:
    with pytest.raises(CMQServerException) as info:
        call(*args)
    return int(info.value.code)


# ------------------------------------------------------------------------------------- connecting


def test_one_endpoint_for_the_cmq_sdk_and_the_tdmq_sdk(cmq: LocalCmq) -> None:
    assert cmq.endpoint.startswith("http://127.0.0.1:") and cmq.region == "ap-guangzhou"
    q = queue(account(cmq), "hello")
    q.send_message(Message("hi"))
    listed = tdmq(cmq).call_json("DescribeCmqQueues", {"Limit": 50})["Response"]["QueueList"]
    assert [(item["QueueName"], item["ActiveMsgNum"]) for item in listed] == [("hello", 1)]
    assert q.receive_message(0).msgBody == "hi"
    assert cmq.secret_key not in repr(cmq)


def test_each_test_starts_fresh_part_1(cmq: LocalCmq) -> None:
    queue(account(cmq), "leftover").send_message(Message("from part 1"))
    queue(account(cmq), "marked")
    cmq.mark_baseline()  # this test's own reset point, not the next test's
    cmq.emulator.rate_limits = True
    cmq.advance(10)


def test_each_test_starts_fresh_part_2(cmq: LocalCmq) -> None:
    assert code(account(cmq).get_queue("leftover").get_attributes) == 4440
    assert code(account(cmq).get_queue("marked").get_attributes) == 4440
    assert account(cmq).list_queue()[0] == 0
    assert cmq.emulator.rate_limits is False


# ---------------------------------------------------------------------------------- virtual time


def test_delays_and_visibility_follow_advance(cmq: LocalCmq) -> None:
    q = queue(account(cmq), "timed", visibilityTimeout=30)
    q.send_message(Message("later"), delayTime=60)
    cmq.advance(59)
    assert code(q.receive_message, 0) == 7000
    cmq.advance(1)
    first = q.receive_message(0)
    cmq.advance(29)
    assert code(q.receive_message, 0) == 7000
    cmq.advance(1)
    assert q.receive_message(0).msgId == first.msgId


def test_retention_and_dead_letter_by_age_follow_advance(cmq: LocalCmq) -> None:
    acc = account(cmq)
    queue(acc, "aged-dead")
    source = queue(acc, "aged", msgRetentionSeconds=3600)
    acc.cmq_client.set_queue_attributes(
        {
            "queueName": "aged",
            "deadLetterPolicy": json.dumps(
                {"deadLetterQueue": "aged-dead", "policy": 1, "maxTimeToLive": 600}
            ),
        }
    )
    short = queue(acc, "short", msgRetentionSeconds=60)
    source.send_message(Message("stale"))
    short.send_message(Message("gone"))
    cmq.advance(600)
    assert [(m.body, m.dead_letter_source) for m in cmq.peek("aged-dead")] == [("stale", "aged")]
    assert cmq.peek("short") == []
    assert cmq.redrive("aged-dead").moved == (("aged", 1),)
    assert [m.body for m in cmq.peek("aged")] == ["stale"]


def test_a_long_poll_ends_with_virtual_time_not_real_time(cmq: LocalCmq) -> None:
    q = queue(account(cmq), "polled")
    codes: list[int] = []
    started = time.monotonic()
    poller = threading.Thread(target=lambda: codes.append(code(q.receive_message, 30)))
    poller.start()
    while not cmq.emulator.backend._conditions.get("polled"):
        time.sleep(0.005)
    cmq.advance(30)
    poller.join(timeout=5)
    assert codes == [7000]
    assert time.monotonic() - started < 5  # nobody waited 30 real seconds


@pytest.fixture
def push_target() -> Iterator[tuple[str, list[bytes], list[int]]]:
    received: list[bytes] = []
    script = [500, 500]  # two failures, then 200

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            received.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(script.pop(0) if script else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received, script
    finally:
        server.shutdown()
        server.server_close()


def test_push_retries_follow_advance(cmq: LocalCmq, push_target: tuple[str, list[bytes], list[int]]) -> None:
    url, received, _ = push_target
    acc = account(cmq)
    acc.get_topic("events").create(TopicMeta())
    sub = SubscriptionMeta()
    sub.Endpoint, sub.Protocal, sub.NotifyContentFormat = url, "http", "SIMPLIFIED"
    acc.get_subscription("events", "hook").create(sub)
    acc.get_topic("events").publish_message(TopicMessage("ping"))
    cmq.advance(0)  # the first try is due at once
    assert [p.status for p in cmq.pushes] == [500]
    cmq.advance(1)  # EXPONENTIAL_DECAY_RETRY: 1 s, then 2 s
    assert [p.status for p in cmq.pushes] == [500, 500]
    cmq.advance(1)
    assert len(cmq.pushes) == 2
    cmq.advance(1)
    assert [p.status for p in cmq.pushes] == [500, 500, 200] and received == [b"ping"] * 3


# ----------------------------------------------------------------------------------------- apply


def test_apply_a_stack_then_reset_returns_to_the_baseline(cmq: LocalCmq) -> None:
    cmq.apply(EXAMPLES / "orders.yaml")
    acc = account(cmq)
    acc.get_queue("orders").send_message(Message("order 1"))
    [peeked] = cmq.peek("orders")
    assert (peeked.body, peeked.state, peeked.dequeue_count) == ("order 1", "active", 0)
    cmq.reset()
    assert code(acc.get_queue("orders").get_attributes) == 4440  # this suite's baseline has no manifests


def test_apply_goes_to_the_emulator_in_process_and_the_stack_is_served_over_http(
    cmq: LocalCmq, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cmqinfra's own apply hands the SDK's signed requests to the emulator without a socket (no
    connection is opened while it runs); the application's clients then see the stack over HTTP."""
    import socket

    def no_connection(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("cmq.apply opened a connection")

    with monkeypatch.context() as patched:
        patched.setattr(socket.socket, "connect", no_connection)
        patched.setattr(socket, "create_connection", no_connection)
        cmq.apply(EXAMPLES / "orders.yaml")
    assert cmq.emulator.call_counts()["CreateCmqQueue"] == 2  # counted by the emulator as calls
    assert account(cmq).get_queue("orders").get_attributes().maxMsgSize > 0


def test_apply_a_project_unit(cmq: LocalCmq) -> None:
    cmq.apply(EXAMPLES / "project", stack="orders", env="dev")
    acc = account(cmq)
    assert acc.get_queue("orders-dev").get_attributes().visibilityTimeout == 60
    acc.get_topic("order-events-dev").publish_message(TopicMessage("o"), routingKey="order.created")
    assert [m.routing_key for m in cmq.peek("orders-dev")] == ["order.created"]
    assert code(acc.get_queue("payments-dev").get_attributes) == 4440  # only the unit named


def test_apply_refuses_bad_manifests_by_file_and_line(cmq: LocalCmq, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack: s\nqueues:\n  q: {visibilityTimeout: 0}\n")
    with pytest.raises(LocalCmqError, match=r"bad\.yaml:3:.*visibilityTimeout"):
        cmq.apply(bad)
    with pytest.raises(LocalCmqError, match="region ap-shanghai"):
        cmq.apply(EXAMPLES / "project", stack="audit", env="prod")
    with pytest.raises(LocalCmqError, match="no such manifest"):
        cmq.apply(tmp_path / "missing.yaml")


def test_reset_is_fast(cmq: LocalCmq) -> None:
    cmq.apply(EXAMPLES / "orders.yaml", EXAMPLES / "order-events.yaml")
    cmq.mark_baseline()
    acc = account(cmq)
    timings = []
    for i in range(30):
        acc.get_queue("orders").send_message(Message(f"m{i}"))
        started = time.perf_counter()
        cmq.reset()
        timings.append(time.perf_counter() - started)
    assert cmq.peek("orders") == []
    median = statistics.median(timings)
    print(f"cmq.reset() median {median * 1000:.2f} ms over {len(timings)} runs")
    assert median < 0.005, median


def test_days_of_virtual_time_never_break_signatures(cmq: LocalCmq) -> None:
    # Both SDKs sign with the wall clock; the emulator checks them against the wall clock too.
    q = queue(account(cmq), "far")
    cmq.advance(3 * 86400)
    q.send_message(Message("still signed right"))
    assert q.receive_message(0).msgBody == "still signed right"
    assert tdmq(cmq).call_json("DescribeCmqQueueDetail", {"QueueName": "far"})["Response"]["QueueDescribe"]
