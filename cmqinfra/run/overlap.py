"""Reading live state while the manifest loads.

Most of a plan's read is what the stack already owns, found by its ownership tag: it needs the
stack's name, not the parsed manifest. So the read starts first, from the name on the manifest's
``stack:`` line, and the load runs meanwhile; the few lookups that need the manifest (resources
it names that the stack does not own yet) follow when the load is done. The load is the judge:
if it fails the read is abandoned, and a read started for another name is thrown away.

Every read, a PATH's included (a project of one unit), starts in cmqinfra/run/early_reads.py, which
uses ``head_start`` and ``sooner_switches`` from here around the project's resolve.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

# The load is pure-Python work that holds the interpreter lock; the read's threads each need it for
# a moment at every step of a call (build, sign, send, receive, hand the page on). At the default
# 5 ms switch interval they queue behind the load for up to that long at every step, which delays
# the first subscription listings by most of a second. While both run, the lock changes hands
# sooner.
_SWITCH_SECONDS = 0.0005
# At most this long (a slow service) before the load starts anyway.
_HEAD_START_SECONDS = 1.0


@contextmanager
def sooner_switches() -> Iterator[None]:
    """While local work (a load, a project's resolve) runs beside reads: the interpreter lock
    changes hands sooner (see ``_SWITCH_SECONDS``)."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, _SWITCH_SECONDS))
    try:
        yield
    finally:
        sys.setswitchinterval(switch)


def head_start(pending: Iterable[object], seconds: float = _HEAD_START_SECONDS) -> None:
    """Until each started read's first calls are out (at most ``seconds`` in all): the local work
    that follows (the load) then does not hold up those calls."""
    deadline = time.monotonic() + seconds
    for read in pending:
        wait_started = getattr(read, "wait_started", None)
        if wait_started is not None:
            wait_started(max(0.0, deadline - time.monotonic()))
