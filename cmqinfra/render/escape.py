"""The one escaping layer: every string a repository or the API chose, made safe for where it is shown.

A pull request writes names, tags, endpoints, file and directory names and value files; the API
writes error messages. None of them may change what a reviewer sees: a newline must not start a
markdown block, a backtick must not close a code span, ``<`` must not open an element, ``|`` must
not split a table cell, and ESC must not move a terminal's cursor. Every renderer passes every such
string through exactly one function of this module for its context:

- ``terminal``: a line of text output or a log line. Control characters are shown as escapes.
- ``code``: inline markdown (a code span whose fence is longer than any backtick run inside).
- ``cell``: a markdown table cell (a code span with ``|`` escaped, which GFM honours inside spans).
- ``html``: text inside raw HTML (``<summary><code>...</code></summary>``).
- ``fence``: the fence of a fenced code block, longer than any backtick run of its body.

Everything here is pure and imports nothing from cmqinfra.
"""

from __future__ import annotations

import re

# C0 controls (newline, tab and ESC among them), DEL, C1 controls, and the Unicode format
# characters that reorder or hide text (bidirectional overrides and isolates, zero-width marks,
# line and paragraph separators): each is shown as an escape, never passed through.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\x1b"}


def _show(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    # Below 0x80 the short form; above it the \\uXXXX form, which is also a valid JSON escape.
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


def terminal(text: object) -> str:
    """``text`` as one line for a terminal or a log: every control character shown escaped."""
    return CONTROL.sub(_show, str(text))


def has_control(text: str) -> bool:
    return CONTROL.search(text) is not None


def fence(body: str, minimum: int = 3) -> str:
    """A backtick fence longer than any backtick run in ``body``, so the body cannot close it."""
    longest = max((len(m) for m in re.findall(r"`+", body)), default=0)
    return "`" * max(minimum, longest + 1)


def code(text: object) -> str:
    """``text`` as a markdown code span: nothing inside is markdown or HTML, and it stays one line."""
    shown = terminal(text)
    if not shown:
        return "` `"
    ticks = fence(shown, minimum=1)
    # A span that starts or ends with a backtick (or a space, which CommonMark strips in pairs)
    # needs a space of padding, which the renderer removes again.
    pad = " " if shown[0] in "` " or shown[-1] in "` " else ""
    return f"{ticks}{pad}{shown}{pad}{ticks}"


# Prose that cannot be markup anywhere in a line: letters, digits, spaces and a few marks. GFM
# turns even escaped text into links (``a\\@b.c`` is still a mail link), so anything else is a span.
_PLAIN = re.compile(r"[A-Za-z0-9 ,;'()=-]*")


def text(value: object) -> str:
    """``value`` in the middle of a markdown line: as it is when it is plain words, otherwise a
    code span (nothing in a code span is markup or a link)."""
    shown = terminal(value)
    return shown if _PLAIN.fullmatch(shown) else code(shown)


def cell(text: object) -> str:
    """``text`` as a GFM table cell: a code span whose ``|`` cannot end the cell."""
    return code(text).replace("|", "\\|")


def html(text: object) -> str:
    """``text`` inside raw HTML: entities for ``<>&"'``, control characters shown, one line."""
    import html as _html  # loads html.entities' 2,000 names: only the markdown and graph views need it

    return _html.escape(terminal(text), quote=True)


def block(text: str) -> str:
    """A multi-line text (a rendered plan) for a terminal: each line's control characters shown,
    the line breaks kept."""
    return "\n".join(terminal(line) for line in text.split("\n"))
