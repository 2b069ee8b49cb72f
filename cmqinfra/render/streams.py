"""The last net under the terminal: a command's stdout and stderr never carry a raw control sequence.

Every renderer escapes the strings it was given (cmqinfra/render/escape.py); this net catches a
string some message forgot. It lets through what cmqinfra itself writes: line breaks and the
colour sequences of ``click.style`` (SGR with colour, bold, dim, underline and reset parameters).
Any other control character, including an ESC that would move the cursor, erase the screen, set a
window title or conceal text, is written as its escape (``\\x1b``).
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from cmqinfra.render.escape import CONTROL

# The SGR parameters click.style uses; 8 (conceal) and the rest are not among them.
_SGR_PARAMS = r"(?:0|1|2|3|4|5|7|22|23|24|25|27|3[0-79]|4[0-79]|9[0-7]|10[0-7])"
_OWN_SEQUENCE = re.compile(rf"\x1b\[(?:{_SGR_PARAMS}(?:;{_SGR_PARAMS})*)?m")
_PIECES = re.compile(rf"(\n|{_OWN_SEQUENCE.pattern})")


def _json_escape(match: re.Match[str]) -> str:
    # The \uXXXX form: in JSON output (where json.dumps leaves DEL, C1 and U+2028 raw) it is the
    # same string, still valid JSON; in text it is as readable as any other escape.
    return f"\\u{ord(match.group(0)):04x}"


def clean(text: str) -> str:
    """``text`` with line breaks and click's colours kept, every other control character escaped."""
    return "".join(
        piece if piece == "\n" or _OWN_SEQUENCE.fullmatch(piece) else CONTROL.sub(_json_escape, piece)
        for piece in _PIECES.split(text)
    )


class EscapingStream(io.TextIOBase):
    """A text stream that cleans every write and hands it to ``inner``; everything else is inner's."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self._inner = inner

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("a text stream takes str")  # click probes for binary streams this way
        self._inner.write(clean(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._inner, "encoding", "utf-8")

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._inner, "errors", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)  # buffer (the schema command's bytes), name, mode


@contextmanager
def escaping_output() -> Iterator[None]:
    """stdout and stderr cleaned for the duration of a command."""
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, EscapingStream):
        sys.stdout = EscapingStream(sys.stdout)  # type: ignore[assignment]
    if not isinstance(sys.stderr, EscapingStream):
        sys.stderr = EscapingStream(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = saved
