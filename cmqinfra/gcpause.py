"""Pausing Python's cyclic garbage collector around bulk, acyclic allocation.

Loading an account-size manifest or planning against its live state allocates a million small
objects (dicts, tuples, frozen values) that form no reference cycles. With the collector on,
every few hundred allocations it walks the ever-growing heap again; a third of the load's CPU
went there. Reference counting still frees everything that is dropped; only cycles wait until
the collector is back on.

What the block kept (a Stack, a Plan) is long-lived by construction. Left young, it would all be
walked by the young collection that the first allocation after re-enabling starts (a tenth of
the CPU of loading 10,000 queues): it goes straight to the oldest generation instead, where full
collections still see it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (nested uses are fine: the outermost restores)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            _promote()
            gc.enable()


def _promote() -> None:
    """Every tracked object to the oldest generation, unscanned (freeze, then unfreeze: two list
    splices). Objects someone froze on purpose stay frozen: then nothing is moved."""
    if gc.get_freeze_count() == 0:
        gc.freeze()
        gc.unfreeze()
