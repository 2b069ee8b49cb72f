"""tccli against the emulator, with the endpoint forms tccli accepts: ``--endpoint`` on the command
line and ``tdmq.endpoint`` in its configuration (``tccli configure set``). tccli has no protocol
option: a bare ``HOST:PORT`` means HTTPS to it, so the emulator is named by its ``http://`` URL,
which tccli also sends as the Host header and signs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

TCCLI = shutil.which("tccli", path=str(Path(sys.executable).parent)) or shutil.which("tccli")
pytestmark = pytest.mark.skipif(TCCLI is None, reason="tccli is not installed (pip install -e '.[test]')")


def tccli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD_") and "proxy" not in k.lower()
    }
    return subprocess.run(
        [str(TCCLI), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, "HOME": str(home), **(env or {})},
        check=False,
    )


def ok(completed: subprocess.CompletedProcess[str]) -> Any:
    assert completed.returncode == 0, completed.stderr + completed.stdout
    return json.loads(completed.stdout)


KEYS = ["--secretId", DEFAULT_SECRET_ID, "--secretKey", DEFAULT_SECRET_KEY, "--region", "ap-guangzhou"]


@pytest.mark.parametrize(
    "form", ["http://127.0.0.1:{port}", "http://127.0.0.1:{port}/", "http://localhost:{port}"]
)
def test_endpoint_flag(emulator: Emulator, tmp_path: Path, tdmq_client: Any, form: str) -> None:
    endpoint = form.format(port=emulator.port)
    ok(
        tccli(
            tmp_path,
            "tdmq",
            "CreateCmqQueue",
            "--QueueName",
            "from-tccli",
            "--VisibilityTimeout",
            "40",
            "--endpoint",
            endpoint,
            *KEYS,
        )
    )
    listed = ok(tccli(tmp_path, "tdmq", "DescribeCmqQueues", "--endpoint", endpoint, *KEYS))
    assert [q["QueueName"] for q in listed["QueueList"]] == ["from-tccli"]
    detail = tdmq_client.call_json("DescribeCmqQueueDetail", {"QueueName": "from-tccli"})["Response"]
    assert detail["QueueDescribe"]["VisibilityTimeout"] == 40


def test_configured_endpoint_and_environment_credentials(emulator: Emulator, tmp_path: Path) -> None:
    ok_config = tccli(tmp_path, "configure", "set", "region", "ap-guangzhou")
    assert ok_config.returncode == 0, ok_config.stderr
    configured = tccli(tmp_path, "configure", "set", "tdmq.endpoint", emulator.url)
    assert configured.returncode == 0, configured.stderr
    env = {"TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID, "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY}
    ok(tccli(tmp_path, "tdmq", "CreateCmqTopic", "--TopicName", "t", "--FilterType", "2", env=env))
    ok(tccli(tmp_path, "tdmq", "CreateCmqQueue", "--QueueName", "q", env=env))
    ok(
        tccli(
            tmp_path,
            "tdmq",
            "CreateCmqSubscribe",
            "--TopicName",
            "t",
            "--SubscriptionName",
            "s",
            "--Protocol",
            "queue",
            "--Endpoint",
            "q",
            "--BindingKey",
            '["a.*"]',
            env=env,
        )
    )
    published = ok(
        tccli(
            tmp_path,
            "tdmq",
            "PublishCmqMsg",
            "--TopicName",
            "t",
            "--MsgContent",
            "m",
            "--MsgTag",
            '["x"]',
            env=env,
        )
    )
    assert published["Result"] is True
    subs = ok(tccli(tmp_path, "tdmq", "DescribeCmqSubscriptionDetail", "--TopicName", "t", env=env))
    assert subs["SubscriptionSet"][0]["BindingKey"] == ["a.*"]


def test_wrong_key_is_refused(emulator: Emulator, tmp_path: Path) -> None:
    completed = tccli(
        tmp_path,
        "tdmq",
        "DescribeCmqQueues",
        "--endpoint",
        emulator.url,
        "--secretId",
        DEFAULT_SECRET_ID,
        "--secretKey",
        "wrong",
        "--region",
        "ap-guangzhou",
    )
    assert completed.returncode != 0
    assert "AuthFailure.SignatureFailure" in completed.stdout + completed.stderr
