"""The API's worker pool: the most urgent waiting call first, and workers kept for urgent calls."""

from __future__ import annotations

import threading

from cmqinfra.cloud.pool import BACKGROUND, NORMAL, URGENT, PriorityPool


def test_a_free_worker_takes_the_most_urgent_waiting_call_first() -> None:
    pool = PriorityPool(2, "test")
    release = threading.Event()
    order: list[str] = []
    try:
        blockers = [pool.submit(URGENT, release.wait) for _ in range(2)]  # both workers busy
        done = [
            pool.submit(BACKGROUND, order.append, "background"),
            pool.submit(NORMAL, order.append, "normal"),
            pool.submit(URGENT, order.append, "urgent"),
        ]
        release.set()
        for future in blockers + done:
            future.result(timeout=5)
    finally:
        pool.shutdown()
    assert order.index("urgent") < order.index("normal") < order.index("background")


def test_half_the_workers_wait_for_urgent_calls_only() -> None:
    pool = PriorityPool(4, "test")
    release = threading.Event()
    running = threading.Semaphore(0)

    def hold() -> None:
        running.release()
        release.wait()

    try:
        held = [pool.submit(BACKGROUND, hold) for _ in range(3)]
        assert running.acquire(timeout=5) and running.acquire(timeout=5)
        assert not running.acquire(timeout=0.3)  # the third waits: two workers are kept
        urgent = pool.submit(URGENT, lambda: "sent")
        assert urgent.result(timeout=5) == "sent"  # on a kept worker, at once
        release.set()
        for future in held:
            future.result(timeout=5)
    finally:
        release.set()
        pool.shutdown()


def test_an_error_reaches_the_caller_and_the_worker_goes_on() -> None:
    pool = PriorityPool(1, "test")
    try:
        failed = pool.submit(NORMAL, int, "not a number")
        assert isinstance(failed.exception(timeout=5), ValueError)
        assert pool.submit(NORMAL, int, "7").result(timeout=5) == 7
    finally:
        pool.shutdown()
