"""Stamping a rate-limit slot when its request has left on the socket.

The service counts a call when it arrives. The nearer the client's stamp is to that moment, the
less margin the limiter needs between windows: a stamp taken before the SDK signs and serialises
the request, and before ``requests`` and ``urllib3`` build it, lands a varying few milliseconds
early (more while another thread holds the interpreter), and every window has to leave room for
that spread. So the SDK's HTTP session gets a transport whose connections stamp the slot of the
call in progress right after the request's last byte is written: never before it left (a stamp
can only be late, which is the safe side), and with nothing but the kernel and the service's
own scheduling between the stamp and the arrival.

The slot travels in a thread-local: the SDK sends in the thread that calls it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class Spendable(Protocol):
    def wait(self) -> None: ...

    def spend(self) -> None: ...


_pending = threading.local()


def _wait() -> None:
    slot = getattr(_pending, "slot", None)
    if slot is not None:
        slot.wait()


def _stamp() -> None:
    slot = getattr(_pending, "slot", None)
    if slot is not None:
        _pending.slot = None
        slot.spend()


class _StampingHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _wait()
        try:
            super().request(*args, **kwargs)
        finally:  # written, or failed part way: either way it may have reached the service
            _stamp()


class _StampingHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        _wait()
        try:
            super().request(*args, **kwargs)
        finally:
            _stamp()


class _StampingHTTPPool(HTTPConnectionPool):
    ConnectionCls = _StampingHTTPConnection


class _StampingHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _StampingHTTPSConnection


class StampingAdapter(HTTPAdapter):
    """``requests``' standard adapter whose connections stamp the pending slot once sent."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _StampingHTTPPool, "https": _StampingHTTPSPool}


def install(client: object) -> bool:
    """Give an SDK client's HTTP session the stamping transport. False when the client does not
    have the session this expects (another SDK layout): its slots are then stamped before the
    call, as :func:`sending` does when nothing stamped them."""
    session = getattr(getattr(getattr(client, "request", None), "conn", None), "_session", None)
    mount = getattr(session, "mount", None)
    if mount is None:
        return False
    adapter = StampingAdapter()
    mount("http://", adapter)
    mount("https://", adapter)
    return True


@contextmanager
def sending(slot: Spendable, on_socket: bool) -> Iterator[None]:
    """Around one SDK call: ``slot`` is stamped when the request has been written (``on_socket``,
    the client has the stamping transport), else right away. A call that ends without writing
    (refused before sending, or a transport that does not stamp) is stamped when it ends: late,
    never early."""
    if not on_socket:
        slot.spend()  # waits for the place first
        yield
        return
    _pending.slot = slot
    try:
        yield
    finally:
        _pending.slot = None
        slot.spend()  # a no-op once the transport stamped it
