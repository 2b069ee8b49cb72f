"""Pausing Python's cyclic garbage collector around bulk, acyclic allocation.

Loading an account-size manifest or planning against its live state allocates a million small
objects (dicts, tuples, frozen values) that form no reference cycles. With the collector on,
every few hundred allocations it walks the ever-growing heap again; a third of the load's CPU
went there. Reference counting still frees everything that is dropped; only cycles wait until
the collector is back on.
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
            gc.enable()
