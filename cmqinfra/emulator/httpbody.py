"""Reading a request body off the socket: Content-Length or `Transfer-Encoding: chunked`, bounded.

A chunked body left unread would be parsed as the next request on the keep-alive connection
(request smuggling); it is decoded instead. Anything else (another transfer coding, both
headers at once, a malformed chunk) is refused with the connection closed, as RFC 9112 §6
asks of a server that cannot tell where the body ends.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

MAX_CHUNK_LINE = 1024
_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}")


@dataclass(frozen=True)
class BodyRefused(Exception):
    """An HTTP answer to give instead of serving; the connection is closed after it."""

    status: int
    reason: str


@dataclass(frozen=True)
class TooLarge(Exception):
    """The body passes ``limit``; ``length`` is the declared Content-Length (0 when chunked)."""

    length: int


def read_body(rfile: BinaryIO, headers: Mapping[str, str], limit: int) -> bytes:
    """The body as sent; raises BodyRefused (close after answering) or TooLarge."""
    coding = headers.get("transfer-encoding")
    if coding is not None:
        if "content-length" in headers:
            raise BodyRefused(400, "Content-Length and Transfer-Encoding together")
        if coding.strip().lower() != "chunked":
            raise BodyRefused(501, f"Transfer-Encoding {coding[:40]!r} is not supported (only chunked)")
        return _read_chunked(rfile, limit)
    length_text = headers.get("content-length", "0") or "0"
    if not (length_text.isascii() and length_text.isdigit()):
        raise BodyRefused(400, "Content-Length is not a number")
    length = int(length_text)
    if length > limit:
        raise TooLarge(length)
    return rfile.read(length) if length else b""


def _read_chunked(rfile: BinaryIO, limit: int) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(MAX_CHUNK_LINE + 1)
        if len(line) > MAX_CHUNK_LINE or not line.endswith(b"\n"):
            raise BodyRefused(400, "a chunk-size line is malformed or cut off")
        size_text = line.split(b";", 1)[0].strip()
        if _HEX.fullmatch(size_text) is None:
            raise BodyRefused(400, "a chunk size is not hexadecimal")
        size = int(size_text, 16)
        if size == 0:
            break
        total += size
        if total > limit:
            raise TooLarge(0)
        data = rfile.read(size)
        if len(data) != size or rfile.read(2) != b"\r\n":
            raise BodyRefused(400, "a chunk is shorter than its size or not followed by CRLF")
        parts.append(data)
    for _ in range(64):  # trailer fields, up to the empty line
        line = rfile.readline(MAX_CHUNK_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return b"".join(parts)
        if not line or len(line) > MAX_CHUNK_LINE:
            break
    raise BodyRefused(400, "the chunked body does not end with an empty line")
