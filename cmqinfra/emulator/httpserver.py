"""The emulator's HTTP front: one port, HTTP/1.1 keep-alive, the request line and headers read
here, every request handed to ``Emulator.handle``. Loaded only when an emulator serves HTTP: the
embedded emulator of ``--local`` and the test plugin's own applies go in process
(``cmqinfra/emulator/inprocess.py``) and never open a socket."""

from __future__ import annotations

import socket
import sys
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from cmqinfra.emulator.headers import Headers
from cmqinfra.emulator.server import Reply, _error, _request_id

if TYPE_CHECKING:
    from cmqinfra.emulator.server import Emulator


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    emulator: Emulator

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _RequestHandler)
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that goes away mid-request (a killed apply, a timeout) is ordinary for a
        server: say nothing. Anything else is a real fault and keeps the default report."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def close_open_connections(self) -> None:
        """Keep-alive connections would otherwise outlive stop() in their handler threads."""
        with self.connections_lock:
            connections = list(self.open_connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


_MAX_LINE = 65536  # as http.server: a longer request or header line is refused
_MAX_HEADERS = 100
_REASONS = {status.value: status.phrase for status in HTTPStatus}


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # seconds a request may stall once it has started (a body that never comes)
    # Seconds an idle keep-alive connection is kept between requests: longer than the longest
    # delay (3600 s) plus a long poll, because the CMQ SDK reuses its connection without
    # reconnecting ("send with delay 60, sleep 61, receive" must work).
    keepalive_idle = 3660
    server: _Server
    server_version = "cmqinfra-emulator"
    sys_version = ""

    def version_string(self) -> str:
        # The base class joins server_version and sys_version with a space, leaving
        # ``Server: cmqinfra-emulator `` when sys_version is empty.
        return self.server_version

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle plus the client's
        # delayed ACK would add ~40 ms to every call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        super().finish()

    def handle_one_request(self) -> None:
        # Wait for the next request under the idle bound, then read it under the stall bound.
        try:
            self.connection.settimeout(self.keepalive_idle)
            waiting = self.rfile.peek(1)
            self.connection.settimeout(self.timeout)
        except (TimeoutError, OSError):
            self.close_connection = True
            return
        if not waiting:
            self.close_connection = True
            return
        super().handle_one_request()

    def parse_request(self) -> bool:
        """HTTP/1.1 requests (every client the emulator serves sends them) are parsed here, their
        headers read line by line into ``Headers``; anything else goes to http.server as before."""
        words = self.raw_requestline.decode("iso-8859-1").rstrip("\r\n").split()
        if len(words) != 3 or words[2] != "HTTP/1.1":
            return super().parse_request()
        self.command, self.path, self.request_version = words
        self.requestline = " ".join(words)
        self.close_connection = False
        fields: list[tuple[str, str]] = []
        while True:
            line = self.rfile.readline(_MAX_LINE + 1)
            if len(line) > _MAX_LINE:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Line too long")
                return False
            if line in (b"\r\n", b"\n", b""):
                break
            if len(fields) >= _MAX_HEADERS:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
                return False
            name, colon, value = line.decode("iso-8859-1").partition(":")
            if not colon or not name or name != name.strip() or name[0] in " \t":
                self.send_error(HTTPStatus.BAD_REQUEST, "Bad header line")
                return False
            fields.append((name, value.strip()))
        self.headers = Headers(fields)  # type: ignore[assignment]
        connection = self.headers.get("Connection", "").lower()
        if "close" in connection:
            self.close_connection = True
        if self.headers.get("Expect", "").lower() == "100-continue" and not self.handle_expect_100():
            return False
        return True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature fixed by http.server
        # Quiet by default: request lines could carry signatures in query strings.
        return

    def do_POST(self) -> None:
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def _unsupported(self) -> None:
        self._serve(unsupported=True)

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _unsupported

    def _serve(self, unsupported: bool = False) -> None:
        request_id = _request_id()
        try:
            reply = self.server.emulator.handle(self, request_id, unsupported)
        except TimeoutError:
            reply = Reply(drop=True)
        except Exception as exc:  # the server must survive anything a request can provoke
            print(
                f"cmqinfra emulator: internal error ({type(exc).__name__}) in request {request_id}",
                file=sys.stderr,
            )
            reply = Reply(body=_error("InternalError", "An internal error occurred.", request_id))
            self.close_connection = True
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        payload, content_type = reply.payload()
        # The status line, headers and body in one write (one send call, one segment on the wire
        # for the usual small reply); http.server writes the headers and the body apart.
        head = (
            f"{self.protocol_version} {reply.status} {_REASONS.get(reply.status, '')}\r\n"
            f"Server: {self.version_string()}\r\nDate: {_http_date()}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in reply.headers)
            + ("Connection: close\r\n" if self.close_connection else "")
            + "\r\n"
        ).encode("latin-1")
        try:
            self.wfile.write(head if self.command == "HEAD" else head + payload)
        except OSError:
            self.close_connection = True


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header, formatted once a second rather than on every reply."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]
