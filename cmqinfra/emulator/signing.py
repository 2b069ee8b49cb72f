"""TC3-HMAC-SHA256 verification, recomputed exactly as the tencentcloud SDK signs (reference §1.3)."""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from cmqinfra.emulator.errors import ApiError

ALGORITHM = "TC3-HMAC-SHA256"
MAX_SKEW_SECONDS = 300

_AUTH = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<id>[^/,\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/,\s]+)"
    r"/tc3_request, ?SignedHeaders=(?P<headers>[a-z0-9;-]+), ?Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class SignedRequest:
    """What the signature covers, as received (never normalised: the SDK signs what it sends)."""

    method: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass(frozen=True)
class Caller:
    secret_id: str
    service: str


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def signature(
    secret_key: str, date: str, service: str, timestamp: str, request: SignedRequest, signed_headers: str
) -> str:
    canonical_headers = "".join(
        f"{name}:{request.headers.get(name, '').strip()}\n" for name in signed_headers.split(";")
    )
    if request.headers.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD":
        payload_hash = hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()
    else:
        payload_hash = hashlib.sha256(request.body).hexdigest()
    canonical_request = "\n".join(
        [request.method, "/", request.query, canonical_headers, signed_headers, payload_hash]
    )
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [ALGORITHM, timestamp, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()]
    )
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _host_forms(request: SignedRequest) -> list[SignedRequest]:
    """The request as sent, then with the Host header's port dropped: the Node.js SDK sends
    ``Host: 127.0.0.1:PORT`` but signs ``host:127.0.0.1`` (the URL's hostname)."""
    forms = [request]
    host = request.headers.get("host", "")
    bare = _without_port(host)
    if bare != host:
        forms.append(
            SignedRequest(request.method, request.query, {**request.headers, "host": bare}, request.body)
        )
    return forms


def _without_port(host: str) -> str:
    if host.startswith("["):  # [::1]:PORT
        end = host.find("]")
        return host[: end + 1] if end != -1 else host
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() and ":" not in name else host


def verify(request: SignedRequest, secret_id: str, secret_key: str, now: float | None = None) -> Caller:
    """Check the Authorization header; raise the documented AuthFailure.* code on any problem."""
    authorization = request.headers.get("authorization", "")
    if not authorization:
        raise ApiError("AuthFailure.InvalidAuthorization", "The request is missing the Authorization header.")
    match = _AUTH.match(authorization.strip())
    if match is None:
        raise ApiError(
            "AuthFailure.InvalidAuthorization",
            "The Authorization header is not a valid TC3-HMAC-SHA256 authorization.",
        )
    if "host" not in match["headers"].split(";") or "content-type" not in match["headers"].split(";"):
        raise ApiError(
            "AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host."
        )
    raw_timestamp = request.headers.get("x-tc-timestamp", "")
    if not raw_timestamp.isdigit():
        raise ApiError(
            "MissingParameter" if not raw_timestamp else "InvalidParameter",
            "The request is missing a valid X-TC-Timestamp header.",
        )
    now = time.time() if now is None else now
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > MAX_SKEW_SECONDS:
        raise ApiError(
            "AuthFailure.SignatureExpire",
            "Signature expired: the timestamp differs from the server time by more than 5 minutes.",
        )
    if match["id"] != secret_id:
        raise ApiError(
            "AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that it is correct."
        )
    expected_date = datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")
    if match["date"] != expected_date:
        raise ApiError(
            "AuthFailure.SignatureFailure", "The credential scope date does not match X-TC-Timestamp."
        )
    if not any(
        hmac.compare_digest(
            signature(
                secret_key, match["date"], match["service"], raw_timestamp, candidate, match["headers"]
            ),
            match["signature"],
        )
        for candidate in _host_forms(request)
    ):
        raise ApiError(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        )
    return Caller(secret_id=match["id"], service=match["service"])
