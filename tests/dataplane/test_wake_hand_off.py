"""A send that finds receives waiting on its queue receives for them in its own transaction: the
woken receive returns what it was handed, oldest waiter first, and a send that fails to commit
hands nothing."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cmq.queue import Message

from cmqinfra.emulator import Emulator
from cmqinfra.emulator.backend import Backend
from tests.dataplane.conftest import account_for, make_queue


def _waiting(backend: Backend, queue_lc: str, count: int) -> None:
    """Until ``count`` receives wait on the queue (they register as they start to wait)."""
    deadline = time.monotonic() + 5
    while len(backend._waiters.get(queue_lc, ())) < count:
        assert time.monotonic() < deadline, "the receive never started waiting"
        time.sleep(0.005)


def test_a_woken_receive_runs_no_transaction_of_its_own(real_emu: Emulator) -> None:
    queue = make_queue(account_for(real_emu), "handed")
    got: list[Message] = []
    waiter = threading.Thread(target=lambda: got.append(queue.receive_message(20)))
    waiter.start()
    _waiting(real_emu.backend, "handed", 1)
    statements: list[str] = []
    real_emu.store._conn.set_trace_callback(statements.append)
    try:
        account_for(real_emu).get_queue("handed").send_message(Message("now"))
        waiter.join(timeout=5)
    finally:
        real_emu.store._conn.set_trace_callback(None)
    assert [m.msgBody for m in got] == ["now"]
    assert got[0].dequeueCount == 1
    # The send's transaction received for the waiter: one BEGIN and one COMMIT in all.
    assert sum(s.startswith("BEGIN") for s in statements) == 1, statements
    assert sum(s == "COMMIT" for s in statements) == 1, statements
    queue.delete_message(got[0].receiptHandle)  # the handle it was handed is the live one
    assert queue.get_attributes().activeMsgNum == 0


def test_the_receive_that_waited_longest_is_served_first(real_emu: Emulator) -> None:
    make_queue(account_for(real_emu), "fair")
    got: dict[str, list[str]] = {"first": [], "second": []}

    def wait(name: str) -> None:
        got[name].append(account_for(real_emu).get_queue("fair").receive_message(20).msgBody)

    first = threading.Thread(target=wait, args=("first",))
    first.start()
    _waiting(real_emu.backend, "fair", 1)
    second = threading.Thread(target=wait, args=("second",))
    second.start()
    _waiting(real_emu.backend, "fair", 2)
    sender = account_for(real_emu).get_queue("fair")
    sender.send_message(Message("one"))
    first.join(timeout=5)
    assert got == {"first": ["one"], "second": []}
    sender.send_message(Message("two"))
    second.join(timeout=5)
    assert got == {"first": ["one"], "second": ["two"]}


def test_a_send_that_fails_to_commit_hands_nothing_and_the_receive_waits_on(tmp_path: Path) -> None:
    backend = Backend.open(tmp_path / "b.sqlite3", push_loop=False)
    try:
        backend.call("CreateCmqQueue", {"QueueName": "q"})
        got: list[list[str]] = []
        waiter = threading.Thread(target=lambda: got.append([m.body for m in backend.receive("q", 1, 10)]))
        waiter.start()
        _waiting(backend, "q", 1)
        store, real = backend.store, backend.store.transaction

        @contextmanager
        def commit_fails() -> Iterator[sqlite3.Connection]:
            with store._lock:
                store._conn.execute("BEGIN IMMEDIATE")
                yield store._conn
                store._conn.execute("ROLLBACK")
                raise sqlite3.OperationalError("disk I/O error")

        store.transaction = commit_fails  # type: ignore[method-assign]
        with pytest.raises(sqlite3.OperationalError):
            backend.send("q", "lost")
        store.transaction = real  # type: ignore[method-assign]
        time.sleep(0.1)
        assert got == [] and waiter.is_alive()  # nothing was sent, nothing handed
        _waiting(backend, "q", 1)  # and it waits again
        backend.send("q", "kept")
        waiter.join(timeout=5)
        assert got == [["kept"]]
        assert backend.receive("q", 10, 0) == []
    finally:
        backend.close()
