"""A fixed set of worker threads that takes the most urgent waiting call first.

The API's calls share ``parallelism`` connections. A read's lanes do not need them equally: the
subscription listings are the longest lane, paced to the limit, and every one sent late pushes
back the whole read; queue and topic pages have seconds to spare. Handing a free worker to the
most urgent call (lowest number; first come, first served within a number) keeps the listings on
time while the other lanes fill the gaps.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

URGENT, NORMAL, BACKGROUND = 0, 1, 2


class PriorityPool:
    def __init__(self, workers: int, name: str) -> None:
        self._workers = max(1, workers)
        # Workers only urgent calls may take: an urgent call never waits for a whole answer
        # behind calls that could have waited themselves.
        self._kept = self._workers // 2
        self._busy_other = 0
        self._name = name
        self._heap: list[tuple[int, int, Future[Any], Callable[[], Any]]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._shutdown = False

    def submit(self, priority: int, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._cond:
            if self._shutdown:
                raise RuntimeError("the pool is shut down")
            heapq.heappush(self._heap, (priority, next(self._order), future, lambda: fn(*args)))
            # Idle workers count until they wake: more waiting calls than that need a new one.
            if len(self._heap) > self._idle and len(self._threads) < self._workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}_{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
            self._cond.notify()
        return future

    def shutdown(self, wait: bool = True) -> None:
        """No new calls; those waiting still run. With ``wait``, until every worker is done."""
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()
            threads = list(self._threads)
        if wait:
            for thread in threads:
                if thread is not threading.current_thread():
                    thread.join()

    def _runnable(self) -> bool:
        return bool(self._heap) and (
            self._heap[0][0] <= URGENT or self._busy_other < self._workers - self._kept
        )

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._runnable() and not (self._shutdown and not self._heap):
                    self._idle += 1
                    self._cond.wait()
                    self._idle -= 1
                if not self._heap:
                    return
                priority, _, future, call = heapq.heappop(self._heap)
                other = priority > URGENT
                self._busy_other += other
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = call()
                    except BaseException as error:  # handed to whoever waits on the future
                        future.set_exception(error)
                    else:
                        future.set_result(result)
            finally:
                if other:
                    with self._cond:
                        self._busy_other -= 1
                        self._cond.notify()
