"""How a call to the emulator's admin endpoints (``/_cmqinfra/...``) proves it knows the secret.

Signed like an API 3.0 call, in a form a shell can compute with ``openssl``::

    Authorization: CMQINFRA-HMAC-SHA256 Credential=<SecretId>, Timestamp=<unix seconds>,
                   Nonce=<1-64 letters/digits>, Signature=<hex>
    Signature = hex(HMAC-SHA256(SecretKey, "CMQINFRA-HMAC-SHA256\\n" + METHOD + "\\n" + PATH?QUERY
                        + "\\n" + Timestamp + "\\n" + Nonce + "\\n" + hex(SHA256(body))))

The signature covers the method, the path with its query, the body and a fresh nonce, so it
cannot be moved to another queue or operation; a timestamp more than five minutes from the
emulator's wall clock, or a signature already used, is refused. The key itself never travels.
Kept outside the emulator package: the CLI signs without importing the emulator.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

ALGORITHM = "CMQINFRA-HMAC-SHA256"
MAX_SKEW_SECONDS = 300

_HEADER = re.compile(
    rf"^{ALGORITHM} Credential=(?P<id>[^,\s]+), ?Timestamp=(?P<ts>\d{{1,12}}),"
    r" ?Nonce=(?P<nonce>[A-Za-z0-9]{1,64}), ?Signature=(?P<sig>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class AdminSignature:
    secret_id: str
    timestamp: int
    nonce: str
    signature: str


def string_to_sign(method: str, target: str, timestamp: int, nonce: str, body: bytes) -> str:
    return "\n".join(
        [ALGORITHM, method.upper(), target, str(timestamp), nonce, hashlib.sha256(body).hexdigest()]
    )


def sign(secret_key: str, method: str, target: str, timestamp: int, nonce: str, body: bytes) -> str:
    text = string_to_sign(method, target, timestamp, nonce, body)
    return hmac.new(secret_key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(
    secret_id: str, secret_key: str, method: str, target: str, timestamp: int, body: bytes, nonce: str = ""
) -> str:
    """The Authorization header value for one call (``target`` is the path with its query)."""
    nonce = nonce or secrets.token_hex(8)
    signature = sign(secret_key, method, target, timestamp, nonce, body)
    return f"{ALGORITHM} Credential={secret_id}, Timestamp={timestamp}, Nonce={nonce}, Signature={signature}"


def parse(header: str) -> AdminSignature | None:
    match = _HEADER.match(header.strip())
    if match is None:
        return None
    return AdminSignature(match["id"], int(match["ts"]), match["nonce"], match["sig"])
