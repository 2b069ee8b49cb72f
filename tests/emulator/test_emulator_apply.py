"""``cmqinfra emulator --apply PATH...`` through a subprocess, as an application's test suite runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from cmq.account import Account
from cmq.queue import Message
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    return {**env, **extra}


def _start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], list[str]]:
    """Start the emulator; return it and every stdout line up to and including the ready line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or _env(),
    )
    assert process.stdout is not None
    lines: list[str] = []
    while True:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("listening on "):
            break
    return process, lines


def _stop(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()


def _client(url: str) -> CommonClient:
    endpoint = url.removeprefix("http://")
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint, reqTimeout=10))
    cred = credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    return CommonClient("tdmq", "2020-02-17", cred, "ap-guangzhou", profile)


def test_apply_then_announce_both_front_doors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the CMQ SDK writes its log file into the working directory
    data = tmp_path / "state.sqlite3"
    # Cloud credentials in the environment must not be what signs the calls to the emulator.
    env = _env(TENCENTCLOUD_SECRET_ID="AKIDsomeoneelse", TENCENTCLOUD_SECRET_KEY="not-the-emulator-key")
    process, lines = _start(
        "--data",
        str(data),
        "--apply",
        str(EXAMPLES / "orders.yaml"),
        str(EXAMPLES / "order-events.yaml"),
        env=env,
    )
    try:
        assert (
            lines[0] == f"applied {EXAMPLES / 'orders.yaml'} (stack orders): 2 added, 0 changed, 0 destroyed"
        )
        assert lines[1].startswith(f"applied {EXAMPLES / 'order-events.yaml'} (stack order-events): ")
        ready = lines[4]
        assert ready.startswith("listening on http://127.0.0.1:"), lines
        url = ready.removeprefix("listening on ")
        assert lines[2] == f"TDMQ API 3.0 (tencentcloud SDKs, tccli): {url}  region ap-guangzhou"
        assert lines[3] == f"CMQ message API (cmq SDK Account host):  {url}  path /v2/index.php"
        client = _client(url)
        queues = client.call_json("DescribeCmqQueues", {"Limit": 50})["Response"]["QueueList"]
        names = {q["QueueName"] for q in queues}
        assert {"orders", "orders-deadletter"} <= names
        detail = client.call_json("DescribeCmqQueueDetail", {"QueueName": "orders"})["Response"]
        assert detail["QueueDescribe"]["VisibilityTimeout"] == 60
        topics = client.call_json("DescribeCmqTopics", {})["Response"]["TopicList"]
        assert topics
        # The CMQ door on the printed endpoint carries messages for the applied queues.
        account = Account(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
        account.close_log()
        account.get_queue("orders").send_message(Message("hello"))
        counts = client.call_json("DescribeCmqQueueDetail", {"QueueName": "orders"})["Response"][
            "QueueDescribe"
        ]
        assert counts["ActiveMsgNum"] == 1
        assert account.get_queue("orders").receive_message(0).msgBody == "hello"
    finally:
        assert _stop(process) == 0
    # The state is kept: a second start converges and adds nothing.
    process, lines = _start("--data", str(data), "--apply", str(EXAMPLES / "orders.yaml"))
    try:
        assert lines[0].endswith("(stack orders): 0 added, 0 changed, 0 destroyed"), lines
    finally:
        assert _stop(process) == 0


def test_fresh_state_is_removed_on_exit(tmp_path: Path) -> None:
    process, lines = _start(
        "--fresh", "--apply", str(EXAMPLES / "orders.yaml"), env=_env(TMPDIR=str(tmp_path))
    )
    try:
        assert lines[0].endswith("2 added, 0 changed, 0 destroyed"), lines
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("cmqinfra-emulator-")]
    finally:
        assert _stop(process) == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("cmqinfra-emulator-")]


def test_bad_manifest_is_reported_at_its_line_and_nothing_starts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack: s\nqueues:\n  q:\n    visibilityTimeout: 999999\n", encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", "--fresh", "--apply", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert completed.returncode == 1
    assert f"{bad}:4:" in completed.stderr
    assert "visibilityTimeout" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert "listening on" not in completed.stdout


def test_two_paths_of_one_stack_are_refused(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(f"stack: same\nqueues:\n  q-{name[0]}: {{}}\n", encoding="utf-8")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "cmqinfra",
            "emulator",
            "--port",
            "0",
            "--fresh",
            "--apply",
            str(tmp_path / "a.yaml"),
            str(tmp_path / "b.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert completed.returncode == 1
    assert "both declare stack 'same'" in completed.stderr
    assert "listening on" not in completed.stdout


def test_region_of_the_manifest_is_served_unless_told_otherwise(tmp_path: Path) -> None:
    manifest = tmp_path / "sh.yaml"
    manifest.write_text("stack: sh\nregion: ap-shanghai\nqueues:\n  q: {}\n", encoding="utf-8")
    process, lines = _start("--fresh", "--apply", str(manifest))
    try:
        assert lines[0].endswith("1 added, 0 changed, 0 destroyed"), lines
        assert lines[1].endswith("region ap-shanghai")
    finally:
        assert _stop(process) == 0
    # Every region is served: with another first region, the manifest is applied in its own.
    process, lines = _start("--fresh", "--region", "ap-guangzhou", "--apply", str(manifest))
    try:
        assert lines[0].endswith("1 added, 0 changed, 0 destroyed"), lines
        assert lines[1].endswith("region ap-guangzhou")
        url = lines[1].split(": ", 1)[1].split()[0]
        endpoint = url.removeprefix("http://")
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint, reqTimeout=10))
        cred = credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
        shanghai = CommonClient("tdmq", "2020-02-17", cred, "ap-shanghai", profile)
        listed = shanghai.call_json("DescribeCmqQueues", {"Limit": 10})["Response"]["QueueList"]
        assert [q["QueueName"] for q in listed] == ["q"]
        assert _client(url).call_json("DescribeCmqQueues", {})["Response"]["TotalCount"] == 0
    finally:
        assert _stop(process) == 0
