"""Nothing acknowledged is lost: SIGKILL the emulator at seeded random points of a
send/receive/delete workload, restart it on the same file, and account for every message."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cmq.account import Account
from cmq.cmq_exception import CMQExceptionBase
from cmq.queue import Message

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

from .conftest import make_queue


def _start(data: Path) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD")}
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
            "--no-rate-limits",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    match = re.search(r"(http://\S+)$", proc.stdout.readline().strip())
    assert match, "the emulator never said it was listening"
    return proc, match.group(1)


class Ledger:
    def __init__(self) -> None:
        self.sent: set[str] = set()  # bodies whose send was answered
        self.attempted: set[str] = set()
        self.deleted: set[str] = set()  # bodies whose delete was answered
        self.delete_tried: set[str] = set()  # sent, but the answer may have died with the emulator


def _workload(
    url: str, rng: random.Random, ledger: Ledger, counter: list[int], stop: threading.Event
) -> None:
    queue = Account(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY).get_queue("durable")
    try:
        while not stop.is_set():
            roll = rng.random()
            if roll < 0.5:
                bodies = [f"m{counter[0] + i}" for i in range(rng.choice((1, 1, 4, 16)))]
                counter[0] += len(bodies)
                ledger.attempted.update(bodies)
                if len(bodies) == 1:
                    queue.send_message(Message(bodies[0]))
                else:
                    queue.batch_send_message([Message(b) for b in bodies])
                ledger.sent.update(bodies)
            else:
                try:
                    got = queue.batch_receive_message(rng.choice((1, 16)), 0)
                except CMQExceptionBase as error:
                    if getattr(error, "code", None) == 7000:
                        continue
                    raise
                for message in got:
                    if rng.random() < 0.7:
                        ledger.delete_tried.add(message.msgBody)
                        queue.delete_message(message.receiptHandle)
                        ledger.deleted.add(message.msgBody)
    except CMQExceptionBase:
        return  # the emulator was killed under us


@pytest.mark.parametrize("seed", [11, 23, 42])
def test_every_acknowledged_send_survives_sigkill(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    data = tmp_path / "durable.sqlite3"
    ledger = Ledger()
    counter = [0]
    proc, url = _start(data)
    make_queue(Account(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY), "durable", visibilityTimeout=1)
    for _ in range(3):
        stop = threading.Event()
        worker = threading.Thread(target=_workload, args=(url, rng, ledger, counter, stop))
        worker.start()
        time.sleep(rng.uniform(0.2, 0.8))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        stop.set()
        worker.join(timeout=30)
        proc, url = _start(data)
    try:
        time.sleep(1.1)  # let every received-but-undeleted message become visible again
        queue = Account(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY).get_queue("durable")
        drained: list[str] = []
        while True:
            try:
                got = queue.batch_receive_message(16, 0)
            except CMQExceptionBase as error:
                assert error.code == 7000
                break
            drained.extend(m.msgBody for m in got)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert ledger.sent, "the workload never got a send acknowledged"
    assert ledger.deleted, "the workload never got a delete acknowledged"
    survivors = set(drained)
    # every acknowledged send is still there, unless a delete of it was sent
    assert ledger.sent - ledger.delete_tried <= survivors, sorted(
        ledger.sent - ledger.delete_tried - survivors
    )
    assert not survivors & ledger.deleted  # no acknowledged delete came back
    assert survivors <= ledger.attempted
    assert len(drained) == len(survivors)  # and nothing was handed out twice in one window
