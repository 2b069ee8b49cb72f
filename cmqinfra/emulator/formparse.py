"""Form and query strings (``a=1&b=x%20y``) split into pairs: ``urllib.parse.parse_qsl`` with
``keep_blank_values=True`` and ``errors="strict"``, without its per-field overhead.

A CMQ SDK call carries a dozen or more parameters, most of them plain ASCII: parse_qsl unquotes
every name and value, and was the largest single cost of the message door per call. Here only the
pieces that contain ``%`` or ``+`` are decoded (tests/emulator/test_formparse.py holds the two equal).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes


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
    # Most pieces have no escape, or only spaces (the SDK writes them as ``+``): no unquoting.
    # Otherwise the bytes unescaped and then decoded as UTF-8, strictly: the same text and the
    # same errors as ``unquote(..., errors="strict")`` (which decodes run by run), in one pass.
    if "%" not in text:
        return text.replace("+", " ") if "+" in text else text
    return unquote_to_bytes(text.replace("+", " ")).decode("utf-8", "strict")
