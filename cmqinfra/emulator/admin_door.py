"""The admin door: ``/_cmqinfra/...`` beside the two API doors, on the same port (LocalStack's
``/_localstack/health`` convention).

    GET  /_cmqinfra/health                      open   the emulator answers (and what it serves)
    GET  /_cmqinfra/ready                       open   200 once the start-up manifests are applied, else 503
    GET  /_cmqinfra/queues/<queue>/messages     signed peek (``?limit=N``, default 1000)
    POST /_cmqinfra/queues/<queue>/purge        signed empty the queue
    POST /_cmqinfra/queues/<queue>/redrive      signed dead letters back to their sources
    POST /_cmqinfra/reset                       signed everything, or ``?stack=NAME`` for one stack
    GET  /_cmqinfra/clock                       signed the emulator's time, and whether it is virtual
    POST /_cmqinfra/clock?advance=SECONDS       signed move a virtual clock (``--virtual-clock``)

Health and readiness say nothing about the data, so they are open (a container HEALTHCHECK and
CI ``services:`` probe them without keys); everything else is signed with the emulator's own key
pair (``cmqinfra/admin_auth.py``). Answers are JSON with a real HTTP status: 200, 400 bad input,
401 unsigned or wrongly signed, 404 unknown path or queue, 405 wrong method, 503 not ready.
It parses, authenticates and renders; what each operation does is the backend's (admin.py).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from cmqinfra import __version__, admin_auth
from cmqinfra.emulator.backend import Backend
from cmqinfra.emulator.errors import ApiError
from cmqinfra.emulator.routes import ADMIN_PREFIX

PREFIX = ADMIN_PREFIX
MAX_BODY_BYTES = 64 * 1024
DEFAULT_PEEK_LIMIT = 1000
MAX_PEEK_LIMIT = 100_000
MAX_ADVANCE_SECONDS = 400 * 86400  # beyond every retention, TTL and rewind window


@dataclass(frozen=True)
class AdminRequest:
    method: str
    path: str  # percent-encoded, as received
    query: str
    authorization: str
    body: bytes


@dataclass(frozen=True)
class AdminReply:
    status: int
    body: dict[str, Any]


def _error(status: int, code: str, message: str) -> AdminReply:
    return AdminReply(status, {"error": {"code": code, "message": message}})


class _SeenSignatures:
    """Signatures used in the last window: a captured signed call cannot be replayed."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, signature: str, now: float) -> bool:
        with self._lock:
            if len(self._seen) > 10_000:
                cutoff = now - 2 * admin_auth.MAX_SKEW_SECONDS
                self._seen = {sig: at for sig, at in self._seen.items() if at >= cutoff}
            if signature in self._seen:
                return False
            self._seen[signature] = now
            return True


class AdminDoor:
    """Serves ``/_cmqinfra/...`` over ``backend`` for the holder of ``secret_id``/``secret_key``."""

    def __init__(self, backend: Backend, secret_id: str, secret_key: str, region: str) -> None:
        self.backend = backend
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.region = region
        self._seen = _SeenSignatures()
        self._ready = threading.Event()
        self._ready.set()
        self.not_ready_reason = ""

    # ------------------------------------------------------------------------------- readiness

    def hold(self, reason: str) -> None:
        """Answer /ready with 503 and ``reason`` until ``release`` (start-up manifests applying)."""
        self.not_ready_reason = reason
        self._ready.clear()

    def release(self) -> None:
        self._ready.set()

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    # ---------------------------------------------------------------------------------- serving

    def serve(self, request: AdminRequest) -> AdminReply:
        parts = [unquote(part) for part in request.path[len(PREFIX) :].split("/")]
        if parts == ["health"]:
            return self._only(request, "GET") or AdminReply(200, self._health())
        if parts == ["ready"]:
            if (wrong := self._only(request, "GET")) is not None:
                return wrong
            if self.ready:
                return AdminReply(200, {"ready": True})
            return AdminReply(503, {"ready": False, "reason": self.not_ready_reason})
        route = self._route(parts, request.method)
        if route is None:
            return _error(404, "NotFound", f"No admin endpoint at {request.path[:200]}.")
        method, operation = route
        if (wrong := self._only(request, method)) is not None:
            return wrong
        refused = self._authenticate(request)
        if refused is not None:
            return refused
        if len(request.body) > MAX_BODY_BYTES:
            return _error(400, "InvalidRequest", f"The body is over {MAX_BODY_BYTES} bytes.")
        try:
            query = dict(parse_qsl(request.query, keep_blank_values=True, strict_parsing=False))
            return operation(query)
        except ApiError as error:
            status = 404 if error.code.startswith("ResourceNotFound") else 400
            return _error(status, error.code, error.message)

    def _route(
        self, parts: list[str], method: str
    ) -> tuple[str, Callable[[dict[str, str]], AdminReply]] | None:
        if parts == ["reset"]:
            return "POST", self._reset
        if parts == ["clock"]:  # GET reads it, POST moves it
            return ("POST", self._advance) if method == "POST" else ("GET", self._time)
        if len(parts) == 3 and parts[0] == "queues" and parts[1]:
            queue = parts[1]
            return {
                "messages": ("GET", lambda query: self._peek(queue, query)),
                "purge": ("POST", lambda query: self._purge(queue)),
                "redrive": ("POST", lambda query: self._redrive(queue)),
            }.get(parts[2])
        return None

    @staticmethod
    def _only(request: AdminRequest, method: str) -> AdminReply | None:
        if request.method == method:
            return None
        return _error(405, "MethodNotAllowed", f"Use {method} here, not {request.method[:16]}.")

    def _authenticate(self, request: AdminRequest) -> AdminReply | None:
        if not request.authorization:
            return _error(401, "AuthFailure.InvalidAuthorization", "This endpoint needs a signed request.")
        given = admin_auth.parse(request.authorization)
        if given is None:
            return _error(
                401,
                "AuthFailure.InvalidAuthorization",
                f"The Authorization header is not a {admin_auth.ALGORITHM} authorization.",
            )
        now = time.time()  # wall time, never the emulator's clock: a virtual clock moves by hours
        if abs(now - given.timestamp) > admin_auth.MAX_SKEW_SECONDS:
            return _error(401, "AuthFailure.SignatureExpire", "The timestamp is more than 5 minutes off.")
        if not hmac.compare_digest(given.secret_id, self.secret_id):
            return _error(401, "AuthFailure.SecretIdNotFound", "The SecretId is not the emulator's.")
        target = request.path + (f"?{request.query}" if request.query else "")
        expected = admin_auth.sign(
            self._secret_key, request.method, target, given.timestamp, given.nonce, request.body
        )
        if not hmac.compare_digest(expected, given.signature):
            return _error(401, "AuthFailure.SignatureFailure", "The signature does not match.")
        if not self._seen.first_use(given.signature, now):
            return _error(401, "AuthFailure.SignatureReplayed", "This signature was already used.")
        return None

    # ------------------------------------------------------------------------------- operations

    def _health(self) -> dict[str, Any]:
        return {
            "status": "running",
            "ready": self.ready,
            "version": __version__,
            "region": self.region,
            "services": {"tdmq": "running", "cmq": "running", "tag": "running", "sts": "running"},
        }

    def _peek(self, queue: str, query: dict[str, str]) -> AdminReply:
        text = query.get("limit", str(DEFAULT_PEEK_LIMIT))
        if not text.isdigit() or not 1 <= int(text) <= MAX_PEEK_LIMIT:
            return _error(
                400, "InvalidParameterValue", f"limit must be a whole number from 1 to {MAX_PEEK_LIMIT}."
            )
        return AdminReply(200, peek_json(self.backend, queue, int(text)))

    def _purge(self, queue: str) -> AdminReply:
        return AdminReply(200, purge_json(self.backend, queue))

    def _redrive(self, queue: str) -> AdminReply:
        return AdminReply(200, self.backend.redrive(queue).to_json())

    def _time(self, query: dict[str, str]) -> AdminReply:
        clock = self.backend.clock
        return AdminReply(200, {"now": clock.now(), "virtual": hasattr(clock, "advance")})

    def _advance(self, query: dict[str, str]) -> AdminReply:
        clock = self.backend.clock
        if not hasattr(clock, "advance"):
            return _error(
                409, "FailedOperation", "The clock is the wall clock: start with --virtual-clock to move it."
            )
        try:
            seconds = float(query.get("advance", ""))
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= MAX_ADVANCE_SECONDS:
            return _error(
                400, "InvalidParameterValue", f"advance must be 0 to {MAX_ADVANCE_SECONDS} seconds."
            )
        clock.advance(seconds)
        self.backend.deliver_all_due()  # pushes due by then are tried before the answer
        return self._time(query)

    def _reset(self, query: dict[str, str]) -> AdminReply:
        stack = query.get("stack")
        if stack is not None and not stack:
            return _error(400, "InvalidParameterValue", "stack must not be empty (leave it out for all).")
        return AdminReply(200, self.backend.reset(stack).to_json())


# The answers' JSON, shared with ``cmqinfra emulator ...`` on a local state file (same shape).


def peek_json(backend: Backend, queue: str, limit: int) -> dict[str, Any]:
    peeked = backend.peek(queue, limit=limit + 1)  # one more tells whether there are more
    return {
        "queue": queue,
        "messages": [message.to_json() for message in peeked[:limit]],
        "truncated": len(peeked) > limit,
    }


def purge_json(backend: Backend, queue: str) -> dict[str, Any]:
    return {"queue": queue, "purged": backend.purge(queue)}
