"""Everything that exists in a region: names listed 50 a page, then read through the adapter.

The adapter's ``read(stack)`` already reads a stack's owned resources (by ownership tag), the
resources a manifest names (by name list, batched) and their subscriptions, normalised into
the model. Export reuses it: for ``--all`` it first lists every queue and topic name, then asks
the adapter to read them as if a manifest named them all.
"""

from __future__ import annotations

from collections.abc import Callable

from cmqinfra.cloud.api import CmqApi
from cmqinfra.live import LiveState
from cmqinfra.model import Queue, Stack, Topic

PAGE_SIZE = 50  # the API's maximum Limit

# (offset, limit) -> (total count, names on this page)
PageReader = Callable[[int, int], tuple[int, list[str]]]


def list_all(read_page: PageReader, page_size: int = PAGE_SIZE) -> tuple[str, ...]:
    """Every name, page by page, until TotalCount is reached or a page comes back empty."""
    names: list[str] = []
    seen: set[str] = set()
    offset = 0
    while True:
        total, page = read_page(offset, page_size)
        for name in page:
            if name not in seen:  # a resource created mid-listing can shift a page
                seen.add(name)
                names.append(name)
        offset += len(page)
        if not page or offset >= total:
            return tuple(names)


def read_everything(
    api: CmqApi, stack_name: str, queue_names: tuple[str, ...], topic_names: tuple[str, ...]
) -> LiveState:
    """Live state of the stack's own resources plus every named queue and topic."""
    probe = Stack(
        name=stack_name,
        queues=tuple(Queue(name=n) for n in queue_names),
        topics=tuple(Topic(name=n) for n in topic_names),
    )
    return api.read(probe)
