"""A local TDMQ for CMQ endpoint that the unmodified SDKs talk to over real HTTP.

One backend, two front doors on one port:

    from cmqinfra.emulator import Emulator, VirtualClock
    with Emulator.start("state.sqlite3") as emu:
        ...  # API 3.0: HttpProfile(protocol="http", endpoint=emu.endpoint)
        ...  # CMQ message API: Account(emu.url, secret_id, secret_key)  (POST/GET /v2/index.php)

In process, without HTTP (what ``cmqinfra test`` runs), on a clock the caller moves:

    from cmqinfra.emulator import Backend, VirtualClock
    clock = VirtualClock()                       # starts at 2026-01-01T00:00:00Z
    with Backend.open(":memory:", clock=clock, push_loop=False) as backend:
        backend.call("CreateCmqQueue", {"QueueName": "q"})      # any API 3.0 action
        backend.send("q", "body", delay_seconds=0)              # -> msgId
        msgs = backend.receive("q", count=16, wait_seconds=0)   # -> [Message]
        backend.delete("q", msgs[0].receipt_handle)
        backend.publish("topic", "body", tags=["a"], routing_key="")  # -> Delivery(queues, pushes)
        backend.counts("q")                                     # -> QueueCounts
        clock.advance(30)                                       # visibility, delay, TTL, back-off
        backend.deliver_due()                                   # HTTP pushes due now
        backend.push_log                                        # every PushAttempt, in order
        backend.peek("q")                                       # -> (PeekedMessage...), nothing consumed
        backend.purge("q"); backend.redrive("q-dead")           # -> count; -> Redrive (each moved once)
        backend.reset(stack="orders")                           # -> Reset (all when stack is None)
        taken = backend.snapshot(); backend.restore(taken)      # state back exactly as taken

``Emulator.start(..., clock=VirtualClock())`` puts the same clock behind the HTTP doors
(``emu.clock.advance(s)``); ``emu.backend`` is the Backend. ``Backend(..., pusher=fn)`` replaces
the HTTP POST of pushes (``fn(PushRequest) -> status``); with ``push_loop=True`` (the default) a
background thread delivers pushes as they fall due on the clock. Errors are ``ApiError`` (``code``
for API 3.0, ``cmq`` = (code, module) for the CMQ API).

``Emulator.start(..., delivery="realistic", delivery_seed=N)`` (or ``Backend(..., delivery=...)``)
reorders, sometimes redelivers and answers false empties to wait-0 receives, reproducibly;
``"strict"`` is the default (docs/emulator.md, "Delivery modes").

See docs/emulator.md for what it emulates, the choices it makes where the docs disagree, and
what it leaves out.
"""

from typing import TYPE_CHECKING, Any

from cmqinfra.emulator.backend import Backend, PushAttempt, PushRequest
from cmqinfra.emulator.clock import Clock, RealClock, VirtualClock
from cmqinfra.emulator.delivery import DeliveryMode
from cmqinfra.emulator.errors import ApiError
from cmqinfra.emulator.faults import Faults
from cmqinfra.emulator.messages import Delivery, Message, QueueCounts
from cmqinfra.emulator.ratelimit import RATE_LIMITS
from cmqinfra.emulator.server import (
    DEFAULT_DATA_PATH,
    DEFAULT_REGION,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    Emulator,
)
from cmqinfra.emulator.stsservice import DEFAULT_ACCOUNT_ID

if TYPE_CHECKING:
    from cmqinfra.emulator.admin import PeekedMessage, Redrive, Reset, Snapshot

_ADMIN_VALUES = ("PeekedMessage", "Redrive", "Reset", "Snapshot")


def __getattr__(name: str) -> Any:
    # The admin values load with their module on first use: a plan or an apply never needs them.
    if name in _ADMIN_VALUES:
        from cmqinfra.emulator import admin

        return getattr(admin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_DATA_PATH",
    "DEFAULT_REGION",
    "DEFAULT_SECRET_ID",
    "DEFAULT_SECRET_KEY",
    "RATE_LIMITS",
    "ApiError",
    "Backend",
    "Clock",
    "Delivery",
    "DeliveryMode",
    "Emulator",
    "Faults",
    "Message",
    "PeekedMessage",
    "PushAttempt",
    "PushRequest",
    "QueueCounts",
    "RealClock",
    "Redrive",
    "Reset",
    "Snapshot",
    "VirtualClock",
]
