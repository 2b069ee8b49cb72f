"""The console's HTTP door: static pages and a JSON API under ``/_cmqinfra/console/``.

Reads go through ``state`` (the backend's own API actions); writes call the backend's operations
(send, publish, peek, purge, redrive): the console is a door of the one backend, never a copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from cmqinfra.emulator.backend import Backend
from cmqinfra.emulator.console.guard import (
    CSRF_HEADER,
    Guard,
    Refused,
    cookie_header,
    cookie_value,
)
from cmqinfra.emulator.errors import ApiError
from cmqinfra.emulator.routes import CONSOLE_PREFIX

PREFIX = CONSOLE_PREFIX
MAX_BODY = 1024 * 1024
STATIC = {
    "": ("index.html", "text/html; charset=utf-8"),
    "app.js": ("app.js", "text/javascript; charset=utf-8"),
    "style.css": ("style.css", "text/css; charset=utf-8"),
}
# The pages load only their own script and style, talk only to this origin, and cannot be framed.
SECURITY_HEADERS = (
    ("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
     "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
)


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # below PREFIX, without the leading slash: "", "app.js", "api/overview"
    query: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    peer: str


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = field(default=())


def _json(status: int, value: Any, *extra: tuple[str, str]) -> Response:
    return Response(status, json.dumps(value).encode(), "application/json", (*SECURITY_HEADERS, *extra))


class ConsoleDoor:
    def __init__(self, backend: Backend, guard: Guard) -> None:
        self.backend = backend
        self.guard = guard

    def serve(self, request: Request) -> Response:
        from cmqinfra.routing_report import RouteError  # the console's imports load on first use

        try:
            self.guard.check_place(request.headers.get("host", ""), request.peer)
            if request.path in STATIC and request.method == "GET":
                return self._static(request.path)
            if not request.path.startswith("api/"):
                return _json(404, {"error": "no such page"})
            return self._api(request, request.path[4:])
        except Refused as refused:
            return _json(refused.status, {"error": str(refused)})
        except ApiError as error:
            return _json(400, {"error": error.message, "code": error.code})
        except RouteError as error:
            return _json(400, {"error": str(error)})

    def _static(self, path: str) -> Response:
        name, content_type = STATIC[path]
        body = resources.files("cmqinfra.emulator.console").joinpath("static", name).read_bytes()
        return Response(200, body, content_type, SECURITY_HEADERS)

    def _api(self, request: Request, route: str) -> Response:
        token = cookie_value(request.headers.get("cookie"))
        if request.method == "POST":
            self.guard.check_origin(request.headers.get("origin"), request.headers.get("host", ""),
                                    request.headers.get("sec-fetch-site"))
            if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
                raise Refused(415, "send application/json")
            body = _body(request.body)
            if route == "login":
                new_token, session = self.guard.login(body.get("secretId"), body.get("secretKey"))
                return _json(200, {"csrf": session.csrf}, ("Set-Cookie", cookie_header(new_token)))
            session = self.guard.session(token)
            self.guard.check_write(session, request.headers.get(CSRF_HEADER))
            if route == "logout":
                self.guard.logout(token)
                return _json(200, {"ok": True}, ("Set-Cookie", cookie_header("") + "; Max-Age=0"))
            return _json(200, self._write(route, body))
        if request.method != "GET":
            raise Refused(405, "GET or POST only")
        session = self.guard.session(token)
        query = {k: v[0] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
        if route == "session":
            return _json(200, {"csrf": session.csrf})
        if route == "topology.svg":
            from cmqinfra.emulator.console import state

            svg = state.topology_svg(state.snapshot(self.backend)).encode()
            return Response(200, svg, "image/svg+xml", SECURITY_HEADERS)
        return _json(200, self._read(route, query))

    def _read(self, route: str, query: dict[str, str]) -> Any:
        from cmqinfra.emulator.console import ops, state

        if route == "overview":
            return state.overview(state.snapshot(self.backend))
        if route == "queue":
            found = state.queue_detail(state.snapshot(self.backend), query.get("name", ""))
            if found is None:
                raise Refused(404, "no such queue")
            return found
        if route == "messages":
            return {"messages": ops.peek(self.backend, query.get("name", ""), _int(query.get("limit"), 20))}
        if route == "push-log":
            return {"attempts": state.push_log(self.backend)}
        raise Refused(404, "no such API")

    def _write(self, route: str, body: dict[str, Any]) -> Any:
        from cmqinfra.emulator.console import ops, state

        if route == "send":
            delay = _int(body.get("delaySeconds"), 0)
            return ops.send(self.backend, _str(body, "queue"), _str(body, "body"), delay)
        if route == "purge":
            return ops.purge(self.backend, _str(body, "queue"))
        if route == "redrive":
            return ops.redrive(self.backend, _str(body, "queue"))
        if route == "route":
            snap = state.snapshot(self.backend)
            key = body.get("routingKey")
            tags = body.get("tags") or []
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
                raise Refused(400, "tags must be a list of strings")
            routing_key = key if isinstance(key, str) else None
            report = state.route_message(snap, _str(body, "topic"), routing_key, tags)
            if body.get("publish") is True:
                report["published"] = ops.publish(self.backend, _str(body, "topic"), _str(body, "body"),
                                                  tags, key if isinstance(key, str) else "")
            return report
        raise Refused(404, "no such API")


def _body(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY:
        raise Refused(413, "the request is larger than 1 MB")
    try:
        value = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise Refused(400, "the body is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(400, "the body must be a JSON object")
    return value


def _str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str):
        raise Refused(400, f"{key} must be a string")
    return value


def _int(value: Any, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Refused(400, "not a number") from None
