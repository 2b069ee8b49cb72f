"""A host a pull request names: an HTTP server on 127.0.0.1 that counts every request and keeps
what it was sent, reached under a non-loopback name by resolving that name to it in process."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

ATTACKER = "attacker.example"


@dataclass
class Catcher:
    port: int
    seen: list[str] = field(default_factory=list)  # the request line, headers and body of each

    @property
    def url(self) -> str:
        return f"http://{ATTACKER}:{self.port}"


@contextmanager
def catcher(monkeypatch: pytest.MonkeyPatch, answer: bytes = b"") -> Iterator[Catcher]:
    """``answer``: the body of a 200 response to every request (by default an empty 500, which
    the SDK retries)."""
    caught = Catcher(0)

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            caught.seen.append(f"{self.requestline}\n{self.headers}\n{body}")
            self.send_response(200 if answer else 500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        do_GET = do_POST = _any

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    caught.port = server.server_address[1]
    real = socket.getaddrinfo

    def resolve(host: object, *args: object, **kw: object) -> object:
        return real("127.0.0.1" if host == ATTACKER else host, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield caught
    finally:
        server.shutdown()
        server.server_close()
