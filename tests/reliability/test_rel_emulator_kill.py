"""The emulator's SQLite store survives a SIGKILL mid-write: the file passes SQLite's integrity
check, the restarted emulator serves it, and every create that was acknowledged is still there."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.tdmq.v20200217 import models

from .account import client, read_account
from .cli import SECRET_ID, SECRET_KEY, cli_env
from .conftest import _have

LISTENING = re.compile(r"listening on (http://[\d.]+:\d+)")


def _start(data: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cmqinfra",
            "emulator",
            "--port",
            "0",
            "--data",
            str(data),
            "--secret-id",
            SECRET_ID,
            "--secret-key",
            SECRET_KEY,
            "--no-rate-limits",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=cli_env(),
        start_new_session=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        match = LISTENING.search(line)
        if match:
            return proc, match.group(1)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("the emulator never said it was listening")


def test_sqlite_store_survives_sigkill_mid_write(tmp_path: Path) -> None:
    if not _have("cmqinfra.emulator"):
        pytest.skip("the emulator has not landed yet")
    data = tmp_path / "state.sqlite3"
    proc, url = _start(data)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(worker: int) -> None:
        api = client(url, SECRET_ID, SECRET_KEY, timeout=5)
        for i in range(10_000):
            if stop.is_set():
                return
            req = models.CreateCmqQueueRequest()
            req.QueueName = f"w{worker}-q{i}"
            req.Tags = [models.Tag()]
            req.Tags[0].TagKey, req.Tags[0].TagValue = "k", "v" * 50
            try:
                api.CreateCmqQueue(req)
            except TencentCloudSDKException:
                return  # the server died under us
            with lock:
                acknowledged.append(req.QueueName)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(acknowledged) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(acknowledged) >= 60, "the emulator did not accept writes"
    os.killpg(proc.pid, signal.SIGKILL)  # mid-write: four clients are creating as fast as they can
    proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=10)

    with sqlite3.connect(data) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    proc, url = _start(data)
    try:
        account = read_account(client(url, SECRET_ID, SECRET_KEY))
        names = {q.name for q in account.queues}
        assert set(acknowledged) <= names, f"acknowledged but lost: {sorted(set(acknowledged) - names)[:5]}"
        assert len(names) == len(account.queues)
        req = models.CreateCmqQueueRequest()
        req.QueueName = "after-restart"
        client(url, SECRET_ID, SECRET_KEY).CreateCmqQueue(req)  # and it still takes writes
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
