"""`--delivery realistic`: reorders, sometimes redelivers and answers false empties to wait-0
receives, reproducibly from a seed, without breaking a documented guarantee; `strict` (the
default) does none of it. Through the unmodified CMQ SDK."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from cmq.account import Account
from cmq.cmq_exception import CMQServerException
from cmq.queue import Message

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator, VirtualClock

from .conftest import account_for, make_queue


def _start(tmp_path: Path, name: str, **options: object) -> Emulator:
    return Emulator.start(tmp_path / f"{name}.sqlite3", rate_limits=False, clock=VirtualClock(),
                          push_loop=False, **options)


@pytest.fixture
def realistic(tmp_path: Path) -> Iterator[Emulator]:
    emulator = _start(tmp_path, "realistic", delivery="realistic", delivery_seed=5)
    try:
        yield emulator
    finally:
        emulator.stop()


def _consume(account: Account, queue_name: str, sends: int) -> tuple[list[str], int, int]:
    """Send ``sends`` messages, then two workers take turns: A receives, B receives, A deletes,
    B deletes (a wait of 0), until all are gone: (bodies in receive order, false empties,
    deletes refused)."""
    queue = make_queue(account, queue_name)
    for index in range(sends):
        queue.send_message(Message(f"m{index:02d}"))
    order: list[str] = []
    empties = failed = 0
    for _ in range(sends * 20):
        if queue.get_attributes().activeMsgNum == 0:
            break
        held = []
        for _worker in range(2):
            try:
                msg = queue.receive_message(0)
            except CMQServerException as error:
                assert error.code == 7000
                empties += 1
                continue
            order.append(msg.msgBody)
            held.append(msg)
        for msg in held:
            try:
                queue.delete_message(msg.receiptHandle)
            except CMQServerException as error:
                assert error.code == 4430  # the other worker deleted this message already
                failed += 1
    return order, empties, failed


def test_strict_is_exact(emu: Emulator) -> None:
    order, empties, failed = _consume(account_for(emu), "exact", 30)
    assert order == [f"m{i:02d}" for i in range(30)] and empties == 0 and failed == 0


def test_realistic_reorders_redelivers_and_answers_false_empties(realistic: Emulator) -> None:
    order, empties, failed = _consume(account_for(realistic), "loose", 60)
    counts = Counter(order)
    assert set(counts) == {f"m{i:02d}" for i in range(60)}  # nothing lost
    assert order != sorted(order)  # not strictly FIFO
    assert max(counts.values()) > 1  # some message came to both workers (same body and msgId)
    assert empties > 0  # a wait of 0 said "no message" while messages were there
    assert failed == sum(n - 1 for n in counts.values())  # the second holder's delete is stale


def test_every_delivery_of_one_message_keeps_its_msg_id_with_a_new_handle(realistic: Emulator) -> None:
    queue = make_queue(account_for(realistic), "twice")
    queue.send_message(Message("only"))
    seen: list[tuple[str, str]] = []
    for _ in range(200):
        try:
            for msg in queue.batch_receive_message(16, 1):
                seen.append((msg.msgId, msg.receiptHandle))
        except CMQServerException:
            pass
        if len(seen) >= 2:
            break
        realistic.clock.advance(31)  # undeleted: visible again after the visibility timeout
    assert len({msg_id for msg_id, _ in seen}) == 1  # one message, however many deliveries
    assert len({handle for _, handle in seen}) == len(seen)


def test_a_deleted_message_is_never_delivered_again(realistic: Emulator) -> None:
    # One worker receiving and deleting in turn never sees a message twice: a redelivered copy
    # goes with the delete.
    queue = make_queue(account_for(realistic), "once")
    for index in range(40):
        queue.send_message(Message(f"d{index:02d}"))
    seen: list[str] = []
    for _ in range(400):
        try:
            msg = queue.receive_message(0)
        except CMQServerException:
            if queue.get_attributes().activeMsgNum == 0:
                break
            continue
        seen.append(msg.msgBody)
        queue.delete_message(msg.receiptHandle)
    assert sorted(seen) == [f"d{index:02d}" for index in range(40)]


def test_the_same_seed_gives_the_same_run(tmp_path: Path) -> None:
    runs = []
    for attempt in range(2):
        emulator = _start(tmp_path, f"seeded{attempt}", delivery="realistic", delivery_seed=42)
        try:
            runs.append(_consume(account_for(emulator), "again", 20))
        finally:
            emulator.stop()
    assert runs[0] == runs[1]


def test_a_long_poll_is_never_falsely_empty(realistic: Emulator) -> None:
    queue = make_queue(account_for(realistic), "polled")
    for index in range(20):
        queue.send_message(Message(f"p{index}"))
        assert queue.receive_message(1).msgBody.startswith("p")


def test_the_cli_switch(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    process = subprocess.Popen(
        [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", "--fresh", "--no-rate-limits",
         "--delivery", "realistic"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("listening on ")
        order, empties, _ = _consume(Account(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY), "cli", 30)
        assert order != sorted(order) or empties > 0
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "--delivery-seed " in err
