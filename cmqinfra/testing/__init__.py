"""Test an application against a local CMQ: ``local_cmq(...)`` for any runner, and the ``cmq``
pytest fixture (installed with cmqinfra; see docs/emulator.md).

Importing this package costs nothing: the emulator loads when a local CMQ starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cmqinfra.testing.local import LocalCmq, LocalCmqError, local_cmq

__all__ = ["LocalCmq", "LocalCmqError", "local_cmq"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from cmqinfra.testing import local

        return getattr(local, name)
    raise AttributeError(name)
