"""Reading live state while the manifest loads.

Most of a plan's read is what the stack already owns, found by its ownership tag: it needs the
stack's name, not the parsed manifest. So the read starts first, from the name on the manifest's
``stack:`` line, and the load runs meanwhile; the few lookups that need the manifest (resources
it names that the stack does not own yet) follow when the load is done. The load is the judge:
if it fails the read is abandoned, and a read started for another name is thrown away.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cmqinfra.cloud.api import CmqApi
from cmqinfra.live import LiveState
from cmqinfra.model import Stack

# The load is pure-Python work that holds the interpreter lock; the read's threads each need it for
# a moment at every step of a call (build, sign, send, receive, hand the page on). At the default
# 5 ms switch interval they queue behind the load for up to that long at every step, which delays
# the first subscription listings by most of a second. While both run, the lock changes hands
# sooner.
_SWITCH_SECONDS = 0.0005


def read_while_loading(
    api: CmqApi, stack_name: str | None, load: Callable[[], Stack]
) -> tuple[Stack, LiveState]:
    """``load()`` and ``api.read`` of its stack, overlapped when the name is known beforehand."""
    start = getattr(api, "start_read", None)
    if start is None or stack_name is None:
        stack = load()
        return stack, api.read(stack)
    pending = start(stack_name)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, _SWITCH_SECONDS))
    try:
        stack = load()
    except BaseException:
        pending.cancel()
        raise
    finally:
        sys.setswitchinterval(switch)
    return stack, pending.finish(stack)


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
