"""The stack name and region of manifest files, read from their top-level lines without parsing
the YAML: enough to start reading what the stack owns while the full load is still running.

Only a guess: the full load stays the judge. Anything unusual (a flow-style document, files that
disagree, an unreadable or oversized file) gives no guess, and the read then waits for the load.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cmqinfra.manifest.loader import manifest_files
from cmqinfra.manifest.source import MAX_FILE_BYTES

_NAME = rb"([A-Za-z0-9_-]+)"
_TOP_LEVEL = re.compile(
    rb"^(stack|region):[ \t]*(?:\"" + _NAME + rb"\"|'" + _NAME + rb"'|" + _NAME + rb")[ \t]*(?:#[^\n]*)?\r?$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Heading:
    stack: str | None
    region: str | None


def peek(paths: Sequence[str | os.PathLike[str]]) -> Heading:
    """The ``stack:`` and ``region:`` every manifest file agrees on (None where they do not)."""
    files, problems = manifest_files(paths)
    if problems or not files:
        return Heading(None, None)
    seen: dict[bytes, set[bytes]] = {b"stack": set(), b"region": set()}
    for file in files:
        try:
            if os.stat(file).st_size > MAX_FILE_BYTES:
                return Heading(None, None)
            with open(file, "rb") as handle:
                raw = handle.read(MAX_FILE_BYTES)
        except OSError:
            return Heading(None, None)
        for match in _TOP_LEVEL.finditer(raw):
            seen[match.group(1)].add(match.group(2) or match.group(3) or match.group(4))

    def agreed(key: bytes) -> str | None:
        values = seen[key]
        return values.pop().decode("ascii") if len(values) == 1 else None

    return Heading(agreed(b"stack"), agreed(b"region"))
