"""Form and query strings (``a=1&b=x%20y``) split into pairs: ``urllib.parse.parse_qsl`` with
``keep_blank_values=True`` and ``errors="strict"``, without its per-field overhead.

A CMQ SDK call carries a dozen or more parameters, most of them plain ASCII: parse_qsl unquotes
every name and value, and was the largest single cost of the message door per call. Here only the
pieces that contain ``%`` or ``+`` are decoded (tests/emulator/test_formparse.py holds the two equal).
"""

from __future__ import annotations

from urllib.parse import unquote


def form_pairs(text: str, max_fields: int) -> list[tuple[str, str]]:
    """The (name, value) pairs of ``text`` in order. Raises ValueError when there are more than
    ``max_fields`` fields, UnicodeDecodeError when a %-escape is not UTF-8."""
    if text.count("&") + 1 > max_fields:
        raise ValueError("Max number of fields exceeded")
    pairs: list[tuple[str, str]] = []
    for piece in text.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((_decode(name), _decode(value)))
    return pairs


def _decode(text: str) -> str:
    if "%" not in text and "+" not in text:
        return text
    return unquote(text.replace("+", " "), encoding="utf-8", errors="strict")
