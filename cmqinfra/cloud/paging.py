"""Paged Describe* listings that start each page as soon as it is known.

A listing takes queries while it runs: the subscriptions of a topic can be asked for the moment
the topic's page arrives, while later topic pages are still in flight. Each query's first page
says how many items there are; its remaining pages go out next, ahead of later first pages, so
a query's results are complete as early as possible.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

K = TypeVar("K", bound=Hashable)
Item = dict[str, Any]
Submit = Callable[[dict[str, Any]], "Future[dict[str, Any]]"]
OnPage = Callable[[K, int, list[Item]], None]


class PagedListing(Generic[K]):
    """Every item of several paged queries of one action, each query named by a key.

    ``add`` (from any thread) until ``close``; ``run`` (in the thread that owns the listing)
    sends the pages through ``submit``, which paces them, and hands each page to ``on_page`` in
    that same thread as it arrives.
    """

    def __init__(self, submit: Submit, key: str, page: int, on_page: OnPage[K] | None = None) -> None:
        self._submit = submit
        self._key = key
        self._page = page
        self._on_page = on_page
        self._cond = threading.Condition()
        self._firsts: deque[tuple[K, dict[str, Any], int]] = deque()
        self._follow: deque[tuple[K, dict[str, Any], int]] = deque()
        self._arrived: deque[tuple[K, dict[str, Any], int, Future[dict[str, Any]]]] = deque()
        self._in_flight = 0
        self._closed = False
        self._error: BaseException | None = None
        self._order: list[K] = []
        self._seen: set[K] = set()

    def add(self, name: K, query: dict[str, Any]) -> None:
        """List ``query`` under ``name``; a name already added is listed once."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the listing is closed")
            if name in self._seen:
                return
            self._seen.add(name)
            self._order.append(name)
            self._firsts.append((name, query, 0))
            self._cond.notify_all()

    def close(self, error: BaseException | None = None) -> None:
        """No more queries. With ``error``, whoever fed the listing failed: stop and raise it."""
        with self._cond:
            self._closed = True
            if error is not None and self._error is None:
                self._error = error
            self._cond.notify_all()

    def run(self) -> dict[K, list[Item]]:
        """Send every page, deliver each as it arrives; the items of each name, in page order."""
        pages: dict[K, dict[int, list[Item]]] = {}
        while True:
            with self._cond:
                while not (
                    self._error is not None
                    or self._arrived
                    or self._follow
                    or self._firsts
                    or (self._closed and not self._in_flight)
                ):
                    self._cond.wait()
                if self._error is not None:
                    raise self._error
                arrived = list(self._arrived)
                self._arrived.clear()
                queue = self._follow or self._firsts
                following = queue.popleft() if queue else None
                if following is None and not arrived:
                    break
                if following is not None:
                    self._in_flight += 1
            # Send first: the slot it waited for is the pace of the whole listing; the pages
            # that arrived meanwhile are handled while the next slot is still ahead.
            if following is not None:
                self._send(*following)
            for name, query, offset, future in arrived:
                items = list(future.result().get(self._key) or [])
                pages.setdefault(name, {})[offset] = items
                if offset == 0:
                    total = int(future.result().get("TotalCount") or 0)
                    with self._cond:
                        self._follow.extend((name, query, o) for o in range(self._page, total, self._page))
                if self._on_page is not None:
                    self._on_page(name, offset, items)
        return {
            name: [item for _, items in sorted(pages.get(name, {}).items()) for item in items]
            for name in self._order
        }

    def _send(self, name: K, query: dict[str, Any], offset: int) -> None:
        try:
            future = self._submit({**query, "Offset": offset, "Limit": self._page})
        except BaseException:
            with self._cond:
                self._in_flight -= 1
            raise

        def arrived(done: Future[dict[str, Any]]) -> None:
            with self._cond:
                self._in_flight -= 1
                self._arrived.append((name, query, offset, done))
                self._cond.notify_all()

        future.add_done_callback(arrived)
