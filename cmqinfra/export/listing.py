"""Page readers over the TDMQ adapter's call plumbing (rate limits, retries, call counts).

The adapter's contract (``CmqApi``) reads what a manifest names or a stack owns; export also
needs every name in the region, so it pages DescribeCmqQueues / DescribeCmqTopics itself
through the adapter's single calling path rather than opening a second SDK client.
"""

from __future__ import annotations

from typing import Any

from cmqinfra.cloud.api import CmqApi
from cmqinfra.export.inventory import PageReader


def _reader(api: Any, action: str, key: str, name_field: str) -> PageReader:
    def read(offset: int, limit: int) -> tuple[int, list[str]]:
        response = api._call(action, {"Offset": offset, "Limit": limit})
        items = response.get(key) or []
        return int(response.get("TotalCount") or 0), [str(item[name_field]) for item in items]

    return read


def page_readers(api: CmqApi) -> tuple[PageReader, PageReader]:
    """(queues, topics) page readers. Needs the TDMQ adapter (``cmqinfra.cloud.tdmq.TdmqApi``)."""
    if not hasattr(api, "_call"):
        raise TypeError("export --all needs the TDMQ adapter")
    return (
        _reader(api, "DescribeCmqQueues", "QueueList", "QueueName"),
        _reader(api, "DescribeCmqTopics", "TopicList", "TopicName"),
    )
