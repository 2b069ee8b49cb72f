"""The CMQ message API front door: form or query parameters at /v2/index.php, HmacSHA1/SHA256
signatures as the CMQ SDKs compute them, flat {"code", "message", "requestId", ...} replies.

It parses, authenticates and renders; what an action does is in cmq_actions.py over the backend.
Every answer is HTTP 200 with a numeric ``code`` (the SDKs raise on any other status).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cmqinfra.emulator import replay
from cmqinfra.emulator.backend import Backend
from cmqinfra.emulator.cmq_actions import ACTIONS, BatchDeleteFailed, FormError, Params
from cmqinfra.emulator.errors import ApiError
from cmqinfra.emulator.faults import Outcome
from cmqinfra.emulator.formparse import form_pairs
from cmqinfra.emulator.routes import CMQ_PATH

PATH = CMQ_PATH

# The short region codes of the service's hosts (cmq-queue-{r}.api.qcloud.com, cmq-{r}.public.
# tencenttdmq.com, {r}.mqadapter.cmq.tencentyun.com), as the legacy API docs list them.
REGION_CODES: dict[str, str] = {
    "gz": "ap-guangzhou",
    "sh": "ap-shanghai",
    "bj": "ap-beijing",
    "cd": "ap-chengdu",
    "hk": "ap-hongkong",
    "sg": "ap-singapore",
    "th": "ap-bangkok",
    "in": "ap-mumbai",
    "shjr": "ap-shanghai-fsi",
    "szjr": "ap-shenzhen-fsi",
    "ca": "na-toronto",
    "usw": "na-siliconvalley",
    "use": "na-ashburn",
}
_HOST_PREFIXES = ("cmq-queue-", "cmq-topic-", "cmq-")
MAX_REQUEST_BYTES = 1024 * 1024 + 64 * 1024  # 1 MB of messages plus the common parameters
MAX_PARAMETERS = 1000

# API 3.0 error codes raised by the shared domain -> the CMQ (code, module) the legacy docs give.
_CODE_MAP: dict[str, tuple[int, int]] = {
    "InvalidParameterValue": (4000, 10350),
    "InvalidParameter": (4000, 10360),
    "MissingParameter": (4000, 10010),
    "UnknownParameter": (4000, 10000),
    "ResourceNotFound": (4440, 10100),
    "ResourceNotFound.Topic": (4440, 10600),
    "ResourceInUse.Queue": (4460, 10030),
    "ResourceInUse.Topic": (4000, 10590),
    "ResourceInUse.Subscription": (4490, 10470),
    "ResourceInUse": (4000, 10760),
    "FailedOperation": (6000, 10050),
    "LimitExceeded": (4450, 10220),
}


@dataclass(frozen=True)
class FormRequest:
    method: str
    host: str  # the Host header as sent
    path: str
    query: str
    body: bytes


def host_region(host: str) -> str:
    """The region a Host header names, as the service's hosts do: ``cmq-{r}.…``,
    ``cmq-queue-{r}.…``, ``cmq-topic-{r}.…`` or ``{r}.mqadapter.…``, where ``{r}`` is a short code
    (``sh``) or a region name (``ap-shanghai``). ``""`` for any other host (``127.0.0.1``,
    ``localhost``, a container named ``cmq-emulator``): the emulator's first region, as the
    reference asks that any Host be accepted."""
    name = host.rsplit("]", 1)[-1].partition(":")[0] if not host.startswith("[") else ""
    first, _, rest = name.lower().partition(".")
    if rest.startswith("mqadapter."):
        code = first
    else:
        prefix = next((p for p in _HOST_PREFIXES if first.startswith(p)), None)
        if prefix is None:
            return ""
        code = first[len(prefix):]
    return REGION_CODES.get(code) or (code if _REGION_NAME.fullmatch(code) else "")


# A region name as the cloud's regions are spelt (ap-shanghai, na-siliconvalley, ap-shanghai-fsi):
# narrower than the API 3.0 door's check, so that a host such as ``cmq-my-app`` is no region.
_REGION_NAME = re.compile(r"(?:ap|na|eu|sa)-[a-z]{3,24}(?:-[a-z0-9]{1,12})?")


def cmq_codes(error: ApiError) -> tuple[int, int]:
    if error.cmq is not None:
        return error.cmq
    return _CODE_MAP.get(error.code, (6000, 10050))


def reply(code: int, message: str, request_id: str, **fields: Any) -> dict[str, Any]:
    return {"code": code, "message": message, "requestId": request_id, **fields}


def error_reply(code: int, module: int, text: str, request_id: str) -> dict[str, Any]:
    return reply(code, f"({module}){text}", request_id)


def string_to_sign(method: str, host: str, path: str, params: Mapping[str, str], skip_at: bool) -> str:
    items = sorted(
        (name.replace("_", "."), value)
        for name, value in params.items()
        if name != "Signature" and not (skip_at and value.startswith("@"))
    )
    return method + host + path + "?" + "&".join(f"{name}={value}" for name, value in items)


@functools.lru_cache(maxsize=16)
def _keyed(secret_key: str, method: str) -> hmac.HMAC:
    """The HMAC with the key already absorbed (its inner and outer pads hashed once): each
    signature then starts from a copy instead of setting the key up again."""
    return hmac.new(secret_key.encode(), digestmod=hashlib.sha256 if method == "HmacSHA256" else hashlib.sha1)


def form_signature(secret_key: str, text: str, method: str) -> str:
    mac = _keyed(secret_key, method).copy()
    mac.update(text.encode("utf-8"))
    return base64.b64encode(mac.digest()).decode()


def _hosts(host: str) -> list[str]:
    # PY drops a default :80/:443 from the Host header but signs host:port.
    if ":" in host.rsplit("]", 1)[-1]:
        return [host]
    return [host, f"{host}:80", f"{host}:443"]


def signature_matches(request: FormRequest, params: Mapping[str, str], secret_key: str) -> bool:
    given = params.get("Signature", "")
    method = params.get("SignatureMethod", "HmacSHA1")
    for host in _hosts(request.host):
        for skip_at in (False, True):
            text = string_to_sign(request.method, host, request.path, params, skip_at)
            if hmac.compare_digest(form_signature(secret_key, text, method), given):
                return True
    return False


def well_formed_signature(given: str) -> bool:
    """Base64 of a 20-byte (SHA1) or 32-byte (SHA256) HMAC, as every CMQ SDK sends it."""
    try:
        raw = base64.b64decode(given, validate=True)
    except (ValueError, binascii.Error):
        return False
    return len(raw) in (20, 32)


def parse_form(request: FormRequest) -> dict[str, str]:
    raw = request.query if request.method == "GET" else request.body
    try:
        text = raw if isinstance(raw, str) else raw.decode("utf-8")
        pairs = form_pairs(text, MAX_PARAMETERS)
    except UnicodeDecodeError:
        raise FormError(4000, 10000, "the request parameters are not UTF-8 form-urlencoded text") from None
    except ValueError:
        raise FormError(4000, 10000, f"more than {MAX_PARAMETERS} parameters") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise FormError(4000, 10330, f"parameter `{name[:64]}` appears more than once")
        params[name] = value
    return params


class DropConnection(Exception):
    """Close the socket without an answer (an injected fault)."""


@dataclass(frozen=True)
class HttpFailure(Exception):
    """Answer a bare HTTP error status (an injected 502/503)."""

    status: int


# (action name as the SDK spells it, the queue or topic it names) -> the fault drawn for the call.
FaultGate = Callable[[str, "str | None"], Outcome]


def _no_faults(action: str, resource: str | None) -> Outcome:
    return Outcome.NORMAL


def _first_region_only(region: str) -> Backend | None:
    return None


class CmqDoor:
    """Serves one parsed HTTP request of the CMQ API over ``backend`` (the first region's), or over
    the backend of the region the request's Host names (``backend_for``)."""

    def __init__(
        self,
        backend: Backend,
        secret_id: str,
        secret_key: str,
        faults: FaultGate = _no_faults,
        backend_for: Callable[[str], Backend | None] = _first_region_only,
    ) -> None:
        self.backend = backend
        self._backend_for = backend_for
        self._faults = faults
        self.secret_id = secret_id
        self._secret_key = secret_key
        self._nonces = replay.NonceLedger()

    def serve(self, request: FormRequest, request_id: str) -> dict[str, Any]:
        try:
            return self._serve(request, request_id)
        except BatchDeleteFailed as error:
            return {
                **error_reply(error.code, error.module, error.text, request_id),
                "errorList": error.error_list,
            }
        except FormError as error:
            return error_reply(error.code, error.module, error.text, request_id)
        except (DropConnection, HttpFailure):
            raise
        except ApiError as error:
            code, module = cmq_codes(error)
            return error_reply(code, module, error.message, request_id)
        except Exception as exc:  # the server must survive anything a request can provoke
            print(
                f"cmqinfra emulator: internal error ({type(exc).__name__}) in CMQ request {request_id}",
                file=sys.stderr,
            )
            return error_reply(6000, 10050, "server internal error", request_id)

    def _serve(self, request: FormRequest, request_id: str) -> dict[str, Any]:
        if request.method not in ("GET", "POST"):
            raise FormError(4000, 10410, f"HTTP method {request.method[:16]} is not GET or POST")
        if len(request.body) > MAX_REQUEST_BYTES or len(request.query) > MAX_REQUEST_BYTES:
            raise FormError(4000, 10420, "the request is larger than 1 MB")
        params = parse_form(request)
        secret_id = params.get("SecretId")
        if not secret_id:
            raise FormError(4000, 10010, "missing parameter SecretId")
        if not secret_id.startswith("AKID"):
            raise FormError(4000, 10450, "SecretId must start with AKID")
        if secret_id != self.secret_id:
            raise FormError(4100, 10270, "SecretId does not exist")
        if not params.get("Signature"):
            raise FormError(4000, 10010, "missing parameter Signature")
        if not well_formed_signature(params["Signature"]):
            raise FormError(4100, 10030, "signature check failed: not a Base64 HMAC-SHA1/SHA256")
        if not signature_matches(request, params, self._secret_key):
            raise FormError(4100, 10030, "signature check failed")
        timestamp, nonce = self._freshness(params)
        backend = self._backend_of(request.host)
        name = params.get("Action", "")
        action = ACTIONS.get(name.lower())
        if action is None:
            raise FormError(4000, 10430, f"action `{name[:64]}` does not exist")
        outcome = self._faults(name, params.get("queueName") or params.get("topicName"))
        if outcome is Outcome.DROP:
            raise DropConnection()
        if outcome is Outcome.HTTP_5XX:
            raise HttpFailure(503)
        if outcome is Outcome.THROTTLE:
            raise FormError(4420, 10250, "the QPS limit of this action is exceeded (injected)")
        if outcome is Outcome.INTERNAL_ERROR:
            raise FormError(6000, 10050, "server internal error (injected)")
        # Recorded only now, when the request runs: a request the server never served (an
        # unknown action, a dropped connection) may come again with the same Nonce, as the SDK
        # resends it when its kept-alive connection answers nothing.
        if not self._nonces.first_use(secret_id, timestamp, nonce):
            raise FormError(4100, 10030, "this Nonce was already used with this Timestamp (a replay)")
        result = reply(0, "", request_id, **action(backend, Params(params)))
        if outcome is Outcome.LOST_RESPONSE:
            raise DropConnection()  # done and committed: the client never learns it
        return result

    def _backend_of(self, host: str) -> Backend:
        region = host_region(host)
        if region == "" or region == self.backend.region:
            return self.backend
        found = self._backend_for(region)
        if found is None:  # the emulator's bound on regions reached
            raise FormError(4000, 10000, f"the region `{region}` cannot be opened: too many regions")
        return found

    @staticmethod
    def _freshness(params: Mapping[str, str]) -> tuple[int, str]:
        raw_timestamp, nonce = params.get("Timestamp", ""), params.get("Nonce", "")
        if not raw_timestamp:
            raise FormError(4000, 10010, "missing parameter Timestamp")
        if not nonce:
            raise FormError(4000, 10010, "missing parameter Nonce")
        if not (raw_timestamp.isascii() and raw_timestamp.isdigit()) or len(raw_timestamp) > 12:
            raise FormError(4000, 10360, "parameter Timestamp must be Unix seconds")
        if not (nonce.isascii() and nonce.isdigit()) or len(nonce) > 20 or int(nonce) == 0:
            raise FormError(4000, 10360, "parameter Nonce must be a positive integer")
        timestamp = int(raw_timestamp)
        if not replay.timestamp_fresh(timestamp):
            raise FormError(
                4100,
                10030,
                f"signature expired: Timestamp is more than {replay.WINDOW_SECONDS} s from the server's time",
            )
        return timestamp, nonce
