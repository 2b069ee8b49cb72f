"""The SDK's requests handed to the emulator in the same process: no socket, no HTTP server.

The tencentcloud SDK builds and signs a request (method, URL, headers, JSON body) and gives it to
its connection object (``client.request.conn``, which sends it with ``requests``). ``connect``
makes a connection with the same ``request(method, url, body, headers)`` that hands the request,
unchanged, to ``Emulator.handle``, the function the HTTP server calls for each request it has
read off a socket. So signing, the JSON envelopes, rate limits, faults and every door are the
same; what is skipped is the TCP round trip, ``requests``/urllib3's per-call work and the
server's parsing of the request line and headers (the HTTP front doors keep their own tests).

Used by the embedded emulator of ``--local`` (which then opens no port at all) and by the test
plugin's ``cmq.apply``; an application's own clients still talk to the plugin over HTTP.
"""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cmqinfra.emulator.headers import Headers

if TYPE_CHECKING:
    from cmqinfra.emulator.server import Emulator


class Dropped(ConnectionError):
    """The emulator closed the connection without answering (an injected fault, or stopped),
    as a socket would have shown it to the client."""


class _Exchange:
    """One request as ``Emulator.handle`` reads it (see ``server.Incoming``)."""

    __slots__ = ("command", "path", "headers", "rfile", "close_connection", "client_address")

    def __init__(self, method: str, target: str, headers: Headers, body: bytes) -> None:
        self.command = method
        self.path = target
        self.headers = headers
        self.rfile = io.BytesIO(body)
        self.close_connection = False
        self.client_address = ("127.0.0.1", 0)


class _Raw:
    version = 11  # the SDK's debug log prints the HTTP version from here


class Response:
    """The part of ``requests.Response`` the SDK reads: status, headers, body."""

    raw = _Raw()

    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], content: bytes) -> None:
        self.status_code = status
        self.reason = reason
        self.headers = Headers(headers)
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    @property
    def ok(self) -> bool:
        return self.status_code < 400


class Connection:
    """In place of the SDK's ``ProxyConnection``: ``request`` returns the emulator's answer."""

    def __init__(self, emulator: Emulator, host: str) -> None:
        self._emulator = emulator
        self.request_host = host
        self.request_length = 0

    def request(
        self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        from cmqinfra.emulator.server import Reply, _error, _request_id

        fields = dict(headers or {})
        fields.setdefault("Host", self.request_host)
        # What requests and http.client put on the wire: a text body in ISO-8859-1 (the SDK's
        # JSON is ASCII), and its length.
        data = body.encode("iso-8859-1") if isinstance(body, str) else bytes(body or b"")
        if body is not None:
            fields["Content-Length"] = str(len(data))
        self.request_length = len(data)
        split = urlsplit(url)
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        exchange = _Exchange(method, target, Headers(list(fields.items())), data)
        request_id = _request_id()
        try:
            reply = self._emulator.handle(exchange, request_id, method not in ("GET", "POST"))
        except TimeoutError:
            reply = Reply(drop=True)
        except Exception as exc:  # noqa: BLE001 - as the HTTP server answers a request that broke a door
            print(f"cmqinfra emulator: internal error ({type(exc).__name__}) in request {request_id}",
                  file=sys.stderr)
            reply = Reply(body=_error("InternalError", "An internal error occurred.", request_id))
        if reply.drop:
            raise Dropped("the emulator closed the connection without a response")
        payload, content_type = reply.payload()
        from http import HTTPStatus

        try:
            reason = HTTPStatus(reply.status).phrase
        except ValueError:
            reason = ""
        fields_out = [("Server", "cmqinfra-emulator"), ("Content-Type", content_type),
                      ("Content-Length", str(len(payload))), *reply.headers]
        return Response(reply.status, reason, fields_out, payload)


def connect(client: Any, emulator: Emulator) -> None:
    """Give an SDK client (``CommonClient`` and the like) a connection to ``emulator`` in this
    process, in place of its HTTP one."""
    request = client.request
    request.conn = Connection(emulator, request.conn.request_host)
