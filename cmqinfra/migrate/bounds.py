"""Limits on what import-terraform reads: a repository's .tf and state files are untrusted.

A file larger than the manifests' limit, brackets nested past ``MAX_DEPTH`` (a parser would
exhaust the stack) and values that grow past ``MAX_WEIGHT`` while evaluated (locals that double
each line) are refused with a located error instead of a traceback or a hang.
"""

from __future__ import annotations

from cmqinfra.manifest.source import MAX_FILE_BYTES
from cmqinfra.model import SourceLocation

MAX_DEPTH = 100  # state files nest attributes a handful of levels; configurations likewise
MAX_WEIGHT = 1_000_000  # characters of strings plus items of lists and maps in one value

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_WEIGHT", "too_deep"]


def too_deep(file: str, text: str, limit: int = MAX_DEPTH) -> SourceLocation | None:
    """Where ``text`` first opens a bracket ``limit`` levels deep (strings skipped), if it does."""
    depth, quoted, escaped, line, line_start = 0, False, False, 1, 0
    for index, ch in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
            elif ch == "\n":  # HCL strings end at the line; do not let one quote hide the file
                quoted, line, line_start = False, line + 1, index + 1
            continue
        if ch == '"':
            quoted = True
        elif ch in "[{(":
            depth += 1
            if depth > limit:
                return SourceLocation(file, line, index - line_start + 1)
        elif ch in "]})":
            depth = max(0, depth - 1)
        elif ch == "\n":
            line, line_start = line + 1, index + 1
    return None
