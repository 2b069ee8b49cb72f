"""The emulator's one entry for a request: API 3.0 wire protocol, signature check, rate limits,
faults, dispatch to the doors. The HTTP server (``httpserver.py``) and the in-process transport
(``inprocess.py``) both hand it the request as the client sent it."""

from __future__ import annotations

import functools
import json
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol
from urllib.parse import parse_qsl, urlsplit

from cmqinfra.emulator.api3 import HANDLERS
from cmqinfra.emulator.backend import Backend
from cmqinfra.emulator.clock import Clock
from cmqinfra.emulator.errors import ApiError
from cmqinfra.emulator.faults import FaultDice, Faults, Outcome
from cmqinfra.emulator.httpbody import BodyRefused, TooLarge, read_body
from cmqinfra.emulator.params import ACTIONS, unflatten, validate
from cmqinfra.emulator.ratelimit import RATE_LIMITS, RateLimiter
from cmqinfra.emulator.routes import ADMIN_PREFIX, CMQ_PATH, CONSOLE_PREFIX
from cmqinfra.emulator.signing import SignedRequest, verify
from cmqinfra.emulator.store import Store
from cmqinfra.emulator.stsservice import DEFAULT_ACCOUNT_ID
from cmqinfra.local_pair import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

if TYPE_CHECKING:
    from cmqinfra.emulator.admin_door import AdminDoor
    from cmqinfra.emulator.cam import CamPolicy
    from cmqinfra.emulator.cmq_door import CmqDoor
    from cmqinfra.emulator.console.door import ConsoleDoor
    from cmqinfra.emulator.httpserver import _Server

DEFAULT_REGION = "ap-guangzhou"
DEFAULT_DATA_PATH = Path(".cmqinfra/emulator.sqlite3")
MAX_BODY_BYTES = 10 * 1024 * 1024
MAX_QUERY_BYTES = 32 * 1024
MAX_DRAIN_BYTES = 64 * 1024 * 1024
# The host an in-process emulator's clients are given: ``.invalid`` is reserved (RFC 2606).
IN_PROCESS_HOST = "in-process.cmqinfra.invalid"
VERSIONS = {"tdmq": "2020-02-17", "tag": "2018-08-13", "sts": "2018-08-13"}


class Incoming(Protocol):
    """A request as ``Emulator.handle`` reads it: what http.server's handler exposes of one, and
    what the in-process transport builds from the SDK's (method, URL, headers, body)."""

    command: str
    path: str  # the request target: path and query
    headers: Any  # case-insensitive get / items
    rfile: BinaryIO
    close_connection: bool
    client_address: tuple[str, int]


@dataclass(frozen=True)
class Reply:
    """What goes back on the socket: an envelope, a raw HTTP error page, or nothing at all."""

    body: dict[str, Any] | None = None
    status: int = 200
    raw: bytes | None = None
    drop: bool = False
    content_type: str | None = None  # for ``raw``: text/html unless said
    headers: tuple[tuple[str, str], ...] = ()

    def payload(self) -> tuple[bytes, str]:
        """The body as it goes out, and its Content-Type."""
        if self.raw is not None:
            return self.raw, self.content_type or "text/html"
        return json.dumps(self.body).encode("utf-8"), "application/json"


def _request_id() -> str:
    """A RequestId shaped like the service's (a version-4 UUID), from the process's Mersenne
    Twister: uuid4 reads the kernel's random source on every reply, and an id need not be secret."""
    # The version (4) and variant (10) bits set by hand: uuid.UUID's checks cost more than the draw.
    bits = (random.getrandbits(128) & ~(0xF000 << 64 | 0xC << 60)) | (0x4000 << 64 | 0x8 << 60)
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def service_for(scope_service: str, version: str, action: str) -> str | None:
    """The product a request is for: its credential scope's service when the emulator knows it,
    otherwise the one whose API version the request names (and, where products share a version,
    the one that has the action). Clients that take the service from the endpoint's first label
    (the Node.js SDK) sign ``127`` when pointed at ``127.0.0.1:PORT``."""
    if scope_service in VERSIONS:
        return scope_service
    matches = [service for service, known in VERSIONS.items() if known == version]
    if len(matches) > 1:
        spec = ACTIONS.get(action)
        matches = [service for service in matches if spec is not None and spec.service == service]
    return matches[0] if len(matches) == 1 else None


def _is_form_request(method: str, headers: dict[str, str], query: str) -> bool:
    """A CMQ form call sent to `/` (the Go SDK's path): no TC3 headers, a form or query."""
    if "authorization" in headers or "x-tc-action" in headers:
        return False
    if method == "GET":
        return "Signature=" in query
    return headers.get("content-type", "").split(";")[0].strip().lower() != "application/json"


def _refused(http: Incoming, refused: BodyRefused) -> Reply:
    """A body the server cannot delimit: answer with the status and close, so nothing left on
    the socket is read as another request."""
    import html  # loads html.entities' 2,000 names: only a refused body needs it

    http.close_connection = True
    text = f"<html><body><h1>{refused.status}</h1><p>{html.escape(refused.reason)}</p></body></html>"
    return Reply(status=refused.status, raw=text.encode())


def _error(code: str, message: str, request_id: str) -> dict[str, Any]:
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}


class Emulator:
    """A local TDMQ for CMQ endpoint (plus the Tag service calls cmqinfra needs), in a background thread."""

    def __init__(
        self,
        data_path: Path | str,
        host: str,
        port: int,
        secret_id: str,
        secret_key: str,
        region: str,
        rate_limits: bool,
        rate_scale: float,
        faults: Faults,
        clock: Clock | None = None,
        backend_options: dict[str, Any] | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        serve_http: bool = True,
    ) -> None:
        self.backend = Backend(
            Store(data_path), clock, region=region, account_id=account_id, **(backend_options or {})
        )
        # Every region is served, each on a backend (and a state file) of its own, as the cloud
        # keeps regions apart: ``backend`` is the first region's, the others open on first use.
        self._data_path = data_path
        self._backend_options = dict(backend_options or {})
        self._regions: dict[str, Backend] = {region: self.backend}
        self._regions_lock = threading.Lock()
        self.account_id = account_id
        self.store = self.backend.store
        self.clock = self.backend.clock
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.region = region
        self.rate_limits = rate_limits
        self._limiter = RateLimiter(RATE_LIMITS, rate_scale)
        self._dice = FaultDice(faults)
        self._calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()
        self._server: _Server | None = None
        if serve_http:
            from cmqinfra.emulator.httpserver import _Server

            try:
                self._server = _Server((host, port))
            except BaseException:
                self.backend.close()
                raise
            self._server.emulator = self
        self._stopped = False
        self._thread: threading.Thread | None = None
        # A CAM policy to enforce (cmqinfra/emulator/cam.py); None: every call is allowed.
        self.cam_policy: CamPolicy | None = None

    # ------------------------------------------------------------------------------ public surface

    @classmethod
    def start(
        cls,
        data_path: Path | str = DEFAULT_DATA_PATH,
        host: str = "127.0.0.1",
        port: int = 0,
        secret_id: str = DEFAULT_SECRET_ID,
        secret_key: str = DEFAULT_SECRET_KEY,
        region: str = DEFAULT_REGION,
        rate_limits: bool = True,
        rate_scale: float = 1.0,
        faults: Faults | None = None,
        clock: Clock | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        not_ready: str | None = None,
        serve_http: bool = True,
        **backend_options: Any,
    ) -> Emulator:
        """Serve both front doors on one port over one backend; ``clock=VirtualClock()`` for tests,
        ``backend_options`` go to ``Backend`` (``pusher``, ``push_loop``, ``seed``, ``delivery``
        ("strict" or "realistic"), ``delivery_seed``). With ``not_ready`` (the reason),
        /_cmqinfra/ready answers 503 from the first request until ``emulator.admin.release()``.
        With ``serve_http=False`` no port is opened and no server thread runs: only clients given
        ``inprocess.connect(emulator)`` reach it (the embedded emulator of ``--local``)."""
        emulator = cls(
            data_path,
            host,
            port,
            secret_id,
            secret_key,
            region,
            rate_limits,
            rate_scale,
            faults or Faults(),
            clock,
            backend_options,
            account_id,
            serve_http,
        )
        if not_ready is not None:
            emulator.admin.hold(not_ready)
        if emulator._server is None:
            return emulator
        emulator._thread = threading.Thread(
            target=emulator._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="cmqinfra-emulator",
            daemon=True,
        )
        emulator._thread.start()
        emulator._note_serving(True)
        return emulator

    def _note_serving(self, serving: bool) -> None:
        """Record in the state file which URL serves it, so that ``cmqinfra emulator messages``
        (purge, redrive, reset) on that file goes through this process rather than beside it."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        with self.store.transaction() as conn:
            if serving:
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('serving_url', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (f"http://{host}:{self.port}",),
                )
            else:
                conn.execute("DELETE FROM meta WHERE key = 'serving_url'")

    @property
    def serves_http(self) -> bool:
        return self._server is not None

    @property
    def host(self) -> str:
        if self._server is None:
            return IN_PROCESS_HOST
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        """The port served (0: none, the emulator is reached in process only)."""
        return 0 if self._server is None else int(self._server.server_address[1])

    @property
    def endpoint(self) -> str:
        """``host:port``; without HTTP, the in-process transport's name (which no resolver knows,
        so a client given it by mistake fails to connect rather than reaching anything else)."""
        if self._server is None:
            return IN_PROCESS_HOST
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    @property
    def faults(self) -> Faults:
        return self._dice.faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self._dice = FaultDice(value)  # one atomic swap: in-flight requests keep their dice

    @property
    def rate_scale(self) -> float:
        return self._limiter.scale

    @rate_scale.setter
    def rate_scale(self, value: float) -> None:
        self._limiter = RateLimiter(RATE_LIMITS, value)

    def call_counts(self) -> dict[str, int]:
        """Authenticated calls received per action since start (or the last reset), whatever
        their outcome: what a client really cost the service."""
        with self._calls_lock:
            return dict(self._calls)

    def reset_call_counts(self) -> None:
        with self._calls_lock:
            self._calls.clear()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_open_connections()
            if self._thread is not None:
                self._thread.join(timeout=5)
            try:
                self._note_serving(False)
            except Exception:  # noqa: BLE001 - a state file gone or locked must not stop the stop
                pass
        with self._regions_lock:
            backends, self._regions = list(self._regions.values()), {}
        for backend in backends:
            backend.close()

    def backend_for(self, region: str) -> Backend | None:
        """The backend of ``region`` (opened on first use, its state beside the first region's),
        or None for a name that is no region (it would otherwise become a file name)."""
        backend = self._regions.get(region)
        if backend is not None:
            return backend
        if len(region) > MAX_REGION_NAME or not REGION_NAME.fullmatch(region):
            return None
        with self._regions_lock:
            backend = self._regions.get(region)
            if backend is None and not self._stopped:
                if len(self._regions) >= MAX_REGIONS:
                    return None
                store = Store(region_state_path(self._data_path, region))
                backend = Backend(store, self.clock, region=region, account_id=self.account_id,
                                  **self._backend_options)
                self._regions[region] = backend
            return backend

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions served so far (the first one, then in the order first asked)."""
        with self._regions_lock:
            return tuple(self._regions)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ---------------------------------------------------------------------------- request handling

    def handle(self, http: Incoming, request_id: str, unsupported: bool) -> Reply:
        def fail(code: str, message: str) -> Reply:
            return Reply(body=_error(code, message, request_id))

        if self._stopped:
            return Reply(drop=True)
        headers = {name.lower(): value for name, value in http.headers.items()}
        split = urlsplit(http.path)
        if split.path == CONSOLE_PREFIX or split.path.startswith(CONSOLE_PREFIX + "/"):
            return self._handle_console(http, headers, split.path, split.query, unsupported)
        if split.path.startswith(ADMIN_PREFIX):
            return self._handle_admin(http, headers, split.path, split.query)
        if split.path == CMQ_PATH or (
            split.path in ("", "/") and _is_form_request(http.command, headers, split.query)
        ):
            return self._handle_cmq(http, headers, split.path or "/", split.query, request_id)
        if unsupported:
            self._discard_body(http)
            return fail(
                "UnsupportedProtocol", f"HTTP method {http.command} is not supported; use GET or POST."
            )
        if split.path not in ("", "/"):
            self._discard_body(http)
            return fail("InvalidRequest", f"The request path `{split.path}` is not `/`.")
        if len(split.query) > MAX_QUERY_BYTES:
            http.close_connection = True
            return fail("RequestSizeLimitExceeded", f"The query string exceeds {MAX_QUERY_BYTES} bytes.")
        try:
            body = read_body(http.rfile, headers, MAX_BODY_BYTES)
        except BodyRefused as refused:
            return _refused(http, refused)
        except TooLarge as large:
            self._drain(http, large.length)
            return fail("RequestSizeLimitExceeded", f"The request exceeds {MAX_BODY_BYTES} bytes.")
        content_type = headers.get("content-type", "")
        if http.command == "POST" and content_type.split(";")[0].strip().lower() != "application/json":
            return fail(
                "InvalidParameter",
                f"Content-Type `{content_type}` is not supported for POST; send application/json "
                "signed with TC3-HMAC-SHA256.",
            )
        try:
            caller = verify(
                SignedRequest(http.command, split.query, headers, body), self.secret_id, self._secret_key
            )
        except ApiError as error:
            return fail(error.code, error.message)
        action = headers.get("x-tc-action", "")
        if not action:
            return fail(
                "MissingParameter", "The request is missing a required parameter `Action` (X-TC-Action)."
            )
        service = service_for(caller.service, headers.get("x-tc-version", ""), action)
        if service is None:
            return fail(
                "NoSuchProduct", f"The service `{caller.service}` is not emulated (tdmq, tag and sts are)."
            )
        expected_version = VERSIONS[service]
        spec = ACTIONS.get(action)
        if spec is None or spec.service != service:
            return fail("InvalidAction", f"The action `{action}` does not exist for service {service}.")
        if headers.get("x-tc-version") != expected_version:
            return fail(
                "NoSuchVersion",
                f"The version `{headers.get('x-tc-version', '')}` of {service} "
                f"does not exist; use {expected_version}.",
            )
        backend = self.backend
        if service == "tdmq":
            region = headers.get("x-tc-region", "")
            if not region:
                return fail("MissingParameter", "The request is missing a required parameter `Region`.")
            found = self.backend_for(region)
            if found is None:
                return fail("UnsupportedRegion", f"`{region[:MAX_REGION_NAME]}` is not a region name.")
            backend = found
        with self._calls_lock:
            self._calls[action] += 1
        # The limit is the gateway's: every authenticated call of the action counts, valid or not.
        if self.rate_limits and not self._limiter.allow(action):
            return fail("RequestLimitExceeded", f"Your request frequency for {action} is over the limit.")
        try:
            raw = self._parameters(http.command, split.query, body)
            params = validate(action, raw, from_query=http.command == "GET")
            if self.cam_policy is not None:
                self.cam_policy.check(service, action, params, self.region, self.account_id)
        except ApiError as error:
            return fail(error.code, error.message)
        if service == "tag":  # global: a resource's own region picks its backend (one never used has none)
            backend = self._regions.get(_resource_region(params) or self.region) or self.backend
        dice = self._dice
        faults = dice.faults
        if faults.latency and faults.applies_to(action):
            time.sleep(faults.latency)
        outcome = dice.draw(action)
        if outcome is Outcome.HTTP_5XX:
            status = dice.pick((502, 503))
            return Reply(
                status=status, raw=f"<html><body><h1>{status} Bad Gateway</h1></body></html>".encode()
            )
        if outcome is Outcome.DROP:
            return Reply(drop=True)
        if outcome is Outcome.THROTTLE:
            return fail("RequestLimitExceeded", f"Your request frequency for {action} is over the limit.")
        if outcome is Outcome.INTERNAL_ERROR:
            return fail("InternalError", "An internal error occurred (injected).")

        try:
            result = self._execute(action, params, faults, backend)
        except ApiError as error:
            return fail(error.code, error.message)
        if outcome is Outcome.LOST_RESPONSE:
            return Reply(drop=True)  # committed above: the client never learns it
        return Reply(body={"Response": {**result, "RequestId": request_id}})

    # The doors besides API 3.0 load on their first request: most runs (a plan, an apply) never
    # knock on them, and their modules are a good part of what a start costs.
    @functools.cached_property
    def _cmq(self) -> CmqDoor:
        from cmqinfra.emulator.cmq_door import CmqDoor

        return CmqDoor(self.backend, self.secret_id, self._secret_key, self._cmq_fault, self.backend_for)

    @functools.cached_property
    def console(self) -> ConsoleDoor:
        from cmqinfra.emulator.console.door import ConsoleDoor
        from cmqinfra.emulator.console.guard import Guard

        return ConsoleDoor(self.backend, Guard(self.secret_id, self._secret_key))

    @functools.cached_property
    def admin(self) -> AdminDoor:
        from cmqinfra.emulator.admin_door import AdminDoor

        return AdminDoor(self.backend, self.secret_id, self._secret_key, self.region)

    def _handle_cmq(
        self, http: Incoming, headers: dict[str, str], path: str, query: str, request_id: str
    ) -> Reply:
        from cmqinfra.emulator import cmq_door

        try:
            body = read_body(http.rfile, headers, cmq_door.MAX_REQUEST_BYTES)
        except BodyRefused as refused:
            return _refused(http, refused)
        except TooLarge as large:
            self._drain(http, large.length)
            return Reply(
                body=cmq_door.error_reply(4000, 10420, "the request is larger than 1 MB", request_id)
            )
        request = cmq_door.FormRequest(http.command, headers.get("host", ""), path, query, body)
        try:
            return Reply(body=self._cmq.serve(request, request_id))
        except cmq_door.DropConnection:
            return Reply(drop=True)
        except cmq_door.HttpFailure as failure:
            page = f"<html><body><h1>{failure.status} Service Unavailable</h1></body></html>"
            return Reply(status=failure.status, raw=page.encode())

    def _cmq_fault(self, action: str, resource: str | None) -> Outcome:
        """The fault flags on the message door: the same dice as API 3.0, filtered by action
        (as the SDK spells it) and by the queue or topic the call names."""
        dice = self._dice
        faults = dice.faults
        if not faults.applies_to(action) or not faults.applies_to_resource(resource):
            return Outcome.NORMAL
        if faults.latency:
            time.sleep(faults.latency)
        return dice.draw(action)

    def _handle_console(
        self, http: Incoming, headers: dict[str, str], path: str, query: str, unsupported: bool
    ) -> Reply:
        if path == CONSOLE_PREFIX:  # the pages use relative links: they need the trailing slash
            return Reply(status=308, raw=b"", headers=(("Location", CONSOLE_PREFIX + "/"),))
        length_text = headers.get("content-length", "0") or "0"
        length = int(length_text) if length_text.isdigit() else -1
        if unsupported or length < 0 or length > MAX_BODY_BYTES:
            self._drain(http, max(length, 0))
            return Reply(status=400, raw=b'{"error": "bad request"}', content_type="application/json")
        body = http.rfile.read(length) if length else b""
        from cmqinfra.emulator.console.door import Request as ConsoleRequest

        request = ConsoleRequest(http.command, path[len(CONSOLE_PREFIX) + 1:], query, headers, body,
                                 str(http.client_address[0]))
        answer = self.console.serve(request)
        return Reply(status=answer.status, raw=answer.body, content_type=answer.content_type,
                     headers=answer.headers)
    def _handle_admin(
        self, http: Incoming, headers: dict[str, str], path: str, query: str
    ) -> Reply:
        from cmqinfra.emulator import admin_door

        try:
            body = read_body(http.rfile, headers, admin_door.MAX_BODY_BYTES)
        except BodyRefused as refused:
            return _refused(http, refused)
        except TooLarge as large:
            self._drain(http, large.length)
            answer = admin_door.AdminReply(
                400, {"error": {"code": "InvalidRequest", "message": "Bad body length."}}
            )
        else:
            request = admin_door.AdminRequest(
                http.command, path, query, headers.get("authorization", ""), body
            )
            answer = self.admin.serve(request)
        return Reply(body=answer.body, status=answer.status)

    @staticmethod
    def _discard_body(http: Incoming) -> None:
        http.close_connection = True

    @staticmethod
    def _drain(http: Incoming, length: int) -> None:
        """Read and drop an oversized body (up to a bound) so the client can read our answer."""
        http.close_connection = True
        remaining = min(length, MAX_DRAIN_BYTES)
        while remaining > 0:
            chunk = http.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)

    @staticmethod
    def _parameters(method: str, query: str, body: bytes) -> dict[str, Any]:
        if method == "GET":
            return unflatten(parse_qsl(query, keep_blank_values=True))
        if not body.strip():
            return {}
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApiError("InvalidParameter", "The request body is not valid JSON.") from None
        if not isinstance(parsed, dict):
            raise ApiError("InvalidParameter", "The request body must be a JSON object.")
        return parsed

    def _execute(self, action: str, params: dict[str, Any], faults: Faults,
                 backend: Backend | None = None) -> dict[str, Any]:
        invisible = faults.invisible_seconds if faults.applies_to(action) else 0.0
        return (backend or self.backend).execute(HANDLERS[action], params, invisible)


# A region name as the cloud spells them (ap-guangzhou, na-siliconvalley, ap-shanghai-fsi).
REGION_NAME = re.compile(r"[a-z]{2,4}(?:-[a-z0-9]{1,24}){1,3}")
MAX_REGION_NAME = 48
MAX_REGIONS = 64
_RESOURCE_REGION = re.compile(r"qcs::tdmq:([^:]*):")


def region_state_path(data_path: Path | str, region: str) -> Path | str:
    """Where a region other than the first keeps its state: ``emulator-ap-shanghai.sqlite3``
    beside ``emulator.sqlite3`` (in memory when the first one is)."""
    if str(data_path) == ":memory:":
        return ":memory:"
    path = Path(data_path)
    return path.with_name(f"{path.stem}-{region}{path.suffix}")


def _resource_region(params: dict[str, Any]) -> str | None:
    """The region a Tag call's resource names (qcs::tdmq:<region>:...), if any."""
    named = params.get("Resource") or next(iter(params.get("ResourceList") or ()), None)
    found = _RESOURCE_REGION.match(named) if isinstance(named, str) else None
    return found.group(1) if found else None
