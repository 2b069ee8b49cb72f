"""Persistence, concurrency, crash safety, rate limits, fault injection and the CLI."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from emulator_helpers import call, expect_error, raw_request
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, RATE_LIMITS, Emulator, Faults
from cmqinfra.emulator.faults import FaultDice, Outcome
from cmqinfra.emulator.ratelimit import RateLimiter
from tests import sdk_clients

sdk = sdk_clients.tdmq
names = sdk_clients.queue_names


# -------------------------------------------------------------------------------------- persistence


def test_restart_keeps_everything(tmp_path: Path) -> None:
    data = tmp_path / "state.sqlite3"
    with Emulator.start(data, rate_limits=False) as emu:
        client = sdk(emu.endpoint)
        call(client, "CreateCmqQueue", {"QueueName": "dead"})
        call(
            client,
            "CreateCmqQueue",
            {
                "QueueName": "q",
                "VisibilityTimeout": 77,
                "DeadLetterQueueName": "dead",
                "MaxReceiveCount": 4,
                "Tags": [{"TagKey": "k", "TagValue": "v"}],
            },
        )
        call(client, "SendCmqMsg", {"QueueName": "q", "MsgContent": "m", "DelaySeconds": 0})
        call(client, "CreateCmqTopic", {"TopicName": "t", "FilterType": 2})
        call(
            client,
            "CreateCmqSubscribe",
            {
                "TopicName": "t",
                "SubscriptionName": "s",
                "Protocol": "queue",
                "Endpoint": "q",
                "BindingKey": ["a.#"],
            },
        )
        before = call(client, "DescribeCmqQueueDetail", {"QueueName": "q"})["QueueDescribe"]
        before_sub = call(client, "DescribeCmqSubscriptionDetail", {"TopicName": "t"})["SubscriptionSet"]
    with Emulator.start(data, rate_limits=False) as emu:
        client = sdk(emu.endpoint)
        after = call(client, "DescribeCmqQueueDetail", {"QueueName": "q"})["QueueDescribe"]
        assert after == before
        assert (
            call(client, "DescribeCmqSubscriptionDetail", {"TopicName": "t"})["SubscriptionSet"] == before_sub
        )
        assert call(client, "DescribeCmqTopicDetail", {"TopicName": "t"})["TopicDescribe"]["FilterType"] == 2
        expect_error(client, "CreateCmqQueue", {"QueueName": "Q"}, "ResourceInUse.Queue")


def test_eight_threads_create_two_hundred_queues_exactly_once(emulator: Emulator, tdmq_client: Any) -> None:
    failures: list[BaseException] = []
    ids: list[str] = []
    lock = threading.Lock()

    def worker(start: int) -> None:
        client = sdk(emulator.endpoint)
        for index in range(start, 200, 8):
            try:
                queue_id = call(client, "CreateCmqQueue", {"QueueName": f"queue-{index:03d}"})["QueueId"]
                with lock:
                    ids.append(queue_id)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures[0]
    listed = names(tdmq_client)
    assert len(listed) == 200 and len(set(listed)) == 200
    assert sorted(listed) == [f"queue-{i:03d}" for i in range(200)]
    assert len(set(ids)) == 200


def test_racing_creates_of_one_name_succeed_once(emulator: Emulator) -> None:
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        client = sdk(emulator.endpoint)
        barrier.wait()
        try:
            call(client, "CreateCmqQueue", {"QueueName": "contended"})
            outcomes.append("created")
        except TencentCloudSDKException as exc:
            outcomes.append(str(exc.code))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ResourceInUse.Queue"] * 7 + ["created"]


def _start_cli(data: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    process = subprocess.Popen(
        [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", "--data", str(data), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("listening on http://127.0.0.1:"), line
    return process, line.strip().removeprefix("listening on http://")


def test_sigkill_never_corrupts_the_store(tmp_path: Path) -> None:
    data = tmp_path / "killed.sqlite3"
    process, endpoint = _start_cli(data, "--no-rate-limits")
    acknowledged: list[str] = []
    stop = threading.Event()

    def writer(prefix: str) -> None:
        client = sdk(endpoint)
        index = 0
        while not stop.is_set():
            name = f"{prefix}{index}"
            try:
                call(
                    client, "CreateCmqQueue", {"QueueName": name, "Tags": [{"TagKey": "k", "TagValue": "v"}]}
                )
                acknowledged.append(name)
            except TencentCloudSDKException:
                return
            index += 1

    threads = [threading.Thread(target=writer, args=(p,)) for p in ("a", "b", "c", "d")]
    for thread in threads:
        thread.start()
    time.sleep(0.6)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    stop.set()
    for thread in threads:
        thread.join(timeout=15)
    assert len(acknowledged) > 10
    with closing(sqlite3.connect(data)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Emulator.start(data, rate_limits=False) as emu:
        stored = set(names(sdk(emu.endpoint)))
    assert set(acknowledged) <= stored  # every answered create survived
    assert len(stored - set(acknowledged)) <= 4  # at most the ones in flight at the kill


def test_cli_prints_one_line_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    process, endpoint = _start_cli(
        tmp_path / "cli.sqlite3", "--region", "ap-shanghai", "--secret-id", "AKIDx", "--secret-key", "k2"
    )
    try:
        client = sdk_clients.tdmq(endpoint, region="ap-shanghai", secret_id="AKIDx", secret_key="k2")
        call(client, "CreateCmqQueue", {"QueueName": "q"})
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0
    assert out == "" and "k2" not in err


def test_cli_reports_a_busy_port_in_one_line(tmp_path: Path, emulator: Emulator) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cmqinfra",
            "emulator",
            "--port",
            str(emulator.port),
            "--data",
            str(tmp_path / "x.sqlite3"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr and "Traceback" not in result.stderr


# -------------------------------------------------------------------------------------- rate limits


def test_rate_limit_table() -> None:
    assert RATE_LIMITS["DescribeCmqQueueDetail"] == 100
    assert RATE_LIMITS["ModifyResourceTags"] == 20
    assert all(RATE_LIMITS[a] == 20 for a in ("CreateCmqQueue", "DescribeCmqQueues", "CreateCmqSubscribe"))


def test_sliding_window_counts_only_accepted_calls() -> None:
    limiter = RateLimiter({"A": 2}, 1.0)
    assert limiter.allow("A", now=0.0) and limiter.allow("A", now=0.5)
    assert not limiter.allow("A", now=0.9)  # rejected: must not extend the window
    assert limiter.allow("A", now=1.01)  # the call at 0.0 has left the window
    assert not limiter.allow("A", now=1.2)
    assert limiter.allow("A", now=1.51)
    assert limiter.allow("unlimited", now=0.0)
    scaled = RateLimiter({"A": 10}, 0.3)
    assert sum(scaled.allow("A", now=0.0) for _ in range(10)) == 3


def test_rate_limits_over_http(emulator: Emulator, tdmq_client: Any) -> None:
    emulator.rate_limits = True
    outcomes = []
    for _ in range(25):
        try:
            call(tdmq_client, "DescribeCmqTopics")
            outcomes.append("ok")
        except TencentCloudSDKException as exc:
            outcomes.append(str(exc.code))
    assert outcomes.count("ok") == 20 and outcomes.count("RequestLimitExceeded") == 5
    call(tdmq_client, "DescribeCmqQueues")  # other actions have their own window
    time.sleep(1.05)
    call(tdmq_client, "DescribeCmqTopics")
    emulator.rate_scale = 0.1
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "a"})
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "b"})
    expect_error(tdmq_client, "CreateCmqTopic", {"TopicName": "c"}, "RequestLimitExceeded")
    emulator.rate_limits = False
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "c"})


# ------------------------------------------------------------------------------------------- faults


def test_faults_are_off_by_default_and_validated() -> None:
    assert Faults() == Faults(
        latency=0,
        throttle_rate=0,
        internal_error_rate=0,
        http_5xx_rate=0,
        drop_connection_rate=0,
        lost_response_rate=0,
        invisible_seconds=0,
    )
    with pytest.raises(ValueError):
        Faults(throttle_rate=1.5)
    with pytest.raises(ValueError):
        Faults(latency=-1)


def test_latency(emulator: Emulator, tdmq_client: Any) -> None:
    emulator.faults = Faults(latency=0.3)
    started = time.monotonic()
    call(tdmq_client, "DescribeCmqQueues")
    assert time.monotonic() - started >= 0.3


def test_throttle_and_internal_error(emulator: Emulator, tdmq_client: Any) -> None:
    emulator.faults = Faults(throttle_rate=1.0)
    expect_error(tdmq_client, "CreateCmqQueue", {"QueueName": "q"}, "RequestLimitExceeded")
    emulator.faults = Faults(internal_error_rate=1.0)
    expect_error(tdmq_client, "CreateCmqQueue", {"QueueName": "q"}, "InternalError")
    emulator.faults = Faults()
    assert call(tdmq_client, "DescribeCmqQueues")["TotalCount"] == 0


def test_http_5xx(emulator: Emulator, tdmq_client: Any) -> None:
    emulator.faults = Faults(http_5xx_rate=1.0)
    response = raw_request(emulator.endpoint, "CreateCmqQueue", b'{"QueueName": "q"}')
    assert response.status in (502, 503) and response.content_type != "application/json"
    with pytest.raises(TencentCloudSDKException) as info:
        call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    assert info.value.code == "ServerNetworkError"
    emulator.faults = Faults()
    assert call(tdmq_client, "DescribeCmqQueues")["TotalCount"] == 0


def test_dropped_connection_commits_nothing(emulator: Emulator, tdmq_client: Any) -> None:
    emulator.faults = Faults(drop_connection_rate=1.0)
    with pytest.raises(TencentCloudSDKException) as info:
        call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    assert info.value.code == "ClientNetworkError"
    emulator.faults = Faults()
    assert call(tdmq_client, "DescribeCmqQueues")["TotalCount"] == 0


def test_lost_response_commits_the_change(emulator: Emulator, tdmq_client: Any) -> None:
    emulator.faults = Faults(lost_response_rate=1.0)
    with pytest.raises(TencentCloudSDKException) as info:
        call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    assert info.value.code == "ClientNetworkError"
    emulator.faults = Faults()
    assert [q["QueueName"] for q in call(tdmq_client, "DescribeCmqQueues")["QueueList"]] == ["q"]
    expect_error(tdmq_client, "CreateCmqQueue", {"QueueName": "q"}, "ResourceInUse.Queue")


def test_invisible_resources(emulator: Emulator, tdmq_client: Any) -> None:
    emulator.faults = Faults(invisible_seconds=0.6)
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    expect_error(tdmq_client, "DescribeCmqQueueDetail", {"QueueName": "q"}, "ResourceNotFound")
    assert call(tdmq_client, "DescribeCmqQueues")["TotalCount"] == 0
    assert call(tdmq_client, "DescribeCmqQueues", {"QueueNameList": ["q"]})["QueueList"] == []
    expect_error(tdmq_client, "DescribeCmqTopicDetail", {"TopicName": "t"}, "ResourceNotFound.Topic")
    assert call(tdmq_client, "DescribeCmqTopics")["TotalCount"] == 0
    expect_error(tdmq_client, "CreateCmqQueue", {"QueueName": "q"}, "ResourceInUse.Queue")
    expect_error(tdmq_client, "CreateCmqTopic", {"TopicName": "t"}, "ResourceInUse.Topic")
    time.sleep(0.7)
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "t", "SubscriptionName": "s", "Protocol": "queue", "Endpoint": "q"},
    )
    assert call(tdmq_client, "DescribeCmqQueues")["TotalCount"] == 1
    assert call(tdmq_client, "DescribeCmqSubscriptionDetail", {"TopicName": "t"})["TotalCount"] == 0
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "t", "SubscriptionName": "s", "Protocol": "queue", "Endpoint": "q"},
        "ResourceInUse.Subscription",
    )
    time.sleep(0.7)
    assert call(tdmq_client, "DescribeCmqSubscriptionDetail", {"TopicName": "t"})["TotalCount"] == 1


def test_faults_can_target_actions(emulator: Emulator, tdmq_client: Any) -> None:
    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({"CreateCmqTopic"}))
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    expect_error(tdmq_client, "CreateCmqTopic", {"TopicName": "t"}, "InternalError")


def test_seeded_faults_are_reproducible() -> None:
    faults = Faults(throttle_rate=0.2, internal_error_rate=0.2, drop_connection_rate=0.2, seed=42)
    first = [FaultDice(faults).draw("A") for _ in range(1)]
    dice_a, dice_b = FaultDice(faults), FaultDice(faults)
    sequence_a = [dice_a.draw("A") for _ in range(200)]
    sequence_b = [dice_b.draw("A") for _ in range(200)]
    assert sequence_a == sequence_b and first[0] == sequence_a[0]
    share = sum(o is not Outcome.NORMAL for o in sequence_a) / 200
    assert 0.45 < share < 0.75
    assert {Outcome.THROTTLE, Outcome.INTERNAL_ERROR, Outcome.DROP} <= set(sequence_a)


def test_partial_fault_rates_over_http(emulator: Emulator, tdmq_client: Any) -> None:
    emulator.faults = Faults(internal_error_rate=0.5, seed=7)
    results = []
    for _ in range(40):
        try:
            call(tdmq_client, "DescribeCmqQueues")
            results.append("ok")
        except TencentCloudSDKException as exc:
            results.append(str(exc.code))
    assert set(results) == {"ok", "InternalError"}


def test_cli_reports_an_unusable_data_file_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cmqinfra",
            "emulator",
            "--port",
            "0",
            "--data",
            str(blocker / "state.sqlite3"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "data file" in result.stderr and "Traceback" not in result.stderr


def test_stop_closes_keep_alive_connections(tmp_path: Path) -> None:
    emu = Emulator.start(tmp_path / "s.sqlite3", rate_limits=False)
    client = sdk(emu.endpoint)
    call(client, "DescribeCmqQueues")  # leaves a pooled keep-alive connection open
    emu.stop()
    emu.stop()  # idempotent
    started = time.monotonic()
    with pytest.raises(TencentCloudSDKException) as info:
        call(client, "DescribeCmqQueues")
    assert info.value.code == "ClientNetworkError"
    assert time.monotonic() - started < 5


def test_public_surface_other_code_relies_on(tmp_path: Path) -> None:
    emu = Emulator.start(
        tmp_path / "api.sqlite3",
        host="127.0.0.1",
        port=0,
        secret_id=DEFAULT_SECRET_ID,
        secret_key=DEFAULT_SECRET_KEY,
        region="ap-guangzhou",
        rate_limits=True,
        rate_scale=1.0,
        faults=Faults(),
    )
    with emu:
        assert emu.endpoint == f"127.0.0.1:{emu.port}" and emu.port > 0
        assert emu.url == f"http://{emu.endpoint}"
        emu.faults = Faults(latency=0.0, seed=3, actions=frozenset({"CreateCmqQueue"}))
        assert emu.faults.seed == 3
        emu.rate_limits, emu.rate_scale = False, 2.0
        assert (emu.rate_limits, emu.rate_scale) == (False, 2.0)
        assert call(sdk(emu.endpoint), "DescribeCmqQueues")["TotalCount"] == 0
    assert DEFAULT_SECRET_ID == "AKIDCMQINFRALOCAL" and DEFAULT_SECRET_KEY == "cmqinfra-local-secret"
