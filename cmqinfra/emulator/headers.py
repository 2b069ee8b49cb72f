"""Header fields as the emulator's doors and the SDK read them, for both ways in: the HTTP server
(``httpserver.py``) reads a request's own, since http.server's parsing with the email package was
the larger part of the emulator's CPU per call; the in-process transport (``inprocess.py``) hands
the SDK's request and the emulator's answer across without any."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class Headers:
    """Header fields, case-insensitive, the first of a repeated name winning: the part of
    ``email.message.Message`` the doors read (``get``, ``[]`` giving None when absent, ``in``,
    ``items``, ``get_all``), and of ``requests``' headers the SDK reads of an answer (``get``)."""

    __slots__ = ("_fields", "_first")

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields
        self._first: dict[str, str] = {}
        for name, value in fields:
            self._first.setdefault(name.lower(), value)

    def get(self, name: str, default: Any = None) -> Any:
        return self._first.get(name.lower(), default)

    def __getitem__(self, name: str) -> str | None:
        return self._first.get(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def get_all(self, name: str, failobj: Any = None) -> list[str] | Any:
        found = [value for key, value in self._fields if key.lower() == name.lower()]
        return found or failobj

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)

    def keys(self) -> list[str]:
        return [name for name, _ in self._fields]

    def values(self) -> list[str]:
        return [value for _, value in self._fields]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._fields)
