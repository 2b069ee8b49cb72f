"""A local TDMQ for CMQ endpoint that the unmodified tencentcloud SDK talks to over real HTTP.

    from cmqinfra.emulator import Emulator, Faults
    with Emulator.start("state.sqlite3") as emu:
        ...  # HttpProfile(protocol="http", endpoint=emu.endpoint)

See docs/emulator.md for what it emulates, the choices it makes where the docs disagree, and
what it leaves out.
"""

from cmqinfra.emulator.faults import Faults
from cmqinfra.emulator.ratelimit import RATE_LIMITS
from cmqinfra.emulator.server import (
    DEFAULT_DATA_PATH,
    DEFAULT_REGION,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    Emulator,
)
from cmqinfra.emulator.stsservice import DEFAULT_ACCOUNT_ID

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_DATA_PATH",
    "DEFAULT_REGION",
    "DEFAULT_SECRET_ID",
    "DEFAULT_SECRET_KEY",
    "RATE_LIMITS",
    "Emulator",
    "Faults",
]
