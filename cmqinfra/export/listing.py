"""Page readers over every queue and topic name in the region, for ``export --all``.

The adapter's contract (``CmqApi``) reads what a manifest names or a stack owns; export also
needs every name in the region, which only the TDMQ adapter can page (``TdmqApi.name_page``),
through its single calling path (rate limits, retries, call counts).
"""

from __future__ import annotations

from cmqinfra.cloud.api import CmqApi
from cmqinfra.export.inventory import PageReader


def page_readers(api: CmqApi) -> tuple[PageReader, PageReader]:
    """(queues, topics) page readers. Needs the TDMQ adapter (``cmqinfra.cloud.tdmq.TdmqApi``)."""
    name_page = getattr(api, "name_page", None)
    if name_page is None:
        raise TypeError("export --all needs the TDMQ adapter")
    return (
        lambda offset, limit: name_page("queue", offset, limit),
        lambda offset, limit: name_page("topic", offset, limit),
    )
