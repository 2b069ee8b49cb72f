"""A seal around a saved plan's bytes: what was reviewed is what is applied (docs/security.md, G4).

A plan file travels from the pull request's job to the apply job as an artifact; anyone who can
touch it could turn a reviewed "No changes" into a destroy. The seal makes any edit evident:

- ``sha256``: the SHA-256 digest of the plan's bytes. ``plan --out`` prints it, in the terminal
  and in the pull-request comment, where the reviewer sees it; ``apply --expect-digest DIGEST``
  refuses a file whose bytes have another digest.
- ``hmac_sha256``: when ``CMQINFRA_PLAN_KEY`` is set (a CI secret both jobs hold), an HMAC of the
  same bytes keyed by it. An apply with the key set refuses a file whose HMAC does not verify, or
  that has none: an editor without the key cannot make one.

The seal is one line put before the plan's own JSON, inside its outer object, so the file stays
one JSON document any tool can read (the readers ignore the extra key) while the sealed bytes are
exactly the bytes the plan writer produced. The format of those bytes is not this module's
business. Files are written with mode 0600: a plan names resources and credential variables.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cmqinfra.run.failure import Failure

KEY_VARIABLE = "CMQINFRA_PLAN_KEY"
SEAL_KEY = "cmqinfra_seal"
_HEAD = re.compile(
    rb'\{"cmqinfra_seal": \{"version": 1, "sha256": "([0-9a-f]{64})", "hmac_sha256": (null|"[0-9a-f]{64}")\},'
)


@dataclass(frozen=True)
class Seal:
    digest: str  # "sha256:<hex>"
    keyed: bool  # an HMAC keyed by CMQINFRA_PLAN_KEY is in the file


def digest_of(plain: bytes) -> str:
    return "sha256:" + hashlib.sha256(plain).hexdigest()


def _mac(key: str, plain: bytes) -> str:
    return hmac.new(key.encode("utf-8"), plain, hashlib.sha256).hexdigest()


def plan_key() -> str | None:
    """The key, or None when the variable is unset. Set but empty is refused: it is what a CI
    recipe passes when the secret it names is missing, and an unkeyed apply would accept anything."""
    key = os.environ.get(KEY_VARIABLE)
    if key is not None and not key.strip():
        raise Failure(f"{KEY_VARIABLE} is set but empty (is the CI secret defined?); nothing was done")
    return key


def seal(plain: bytes, key: str | None) -> bytes:
    """``plain`` (a JSON object's bytes, starting with ``{``) with the seal line put in front."""
    if not plain.startswith(b"{"):
        raise ValueError("a sealed plan is a JSON object")
    mac = json.dumps(_mac(key, plain)) if key else "null"
    head = f'{{"{SEAL_KEY}": {{"version": 1, "sha256": "{hashlib.sha256(plain).hexdigest()}", '
    head += f'"hmac_sha256": {mac}}},'
    return head.encode("ascii") + plain[1:]


def unseal(data: bytes, name: str, key: str | None, expect: str | None) -> tuple[bytes, Seal | None]:
    """The plan's own bytes, checked: refused (naming the file, changing nothing) when an edit shows."""
    match = _HEAD.match(data)
    if match is None:
        if key or expect:
            why = f"{KEY_VARIABLE} is set" if key else "--expect-digest was given"
            raise Failure(f"{name}: the plan is not sealed, and {why}; nothing was changed "
                          "(make it with `cmqinfra plan --out`)")
        return data, None
    plain = b"{" + data[match.end():]
    written = match.group(1).decode("ascii")
    if not hmac.compare_digest(hashlib.sha256(plain).hexdigest(), written):
        raise Failure(f"{name}: the plan was changed after it was saved (its digest does not match); "
                      "nothing was changed")
    mac = match.group(2)
    if key:
        if mac == b"null":
            raise Failure(f"{name}: the plan was saved without {KEY_VARIABLE}, and this run has it: it "
                          "cannot be told apart from an edited plan; nothing was changed")
        if not hmac.compare_digest(mac.strip(b'"').decode("ascii"), _mac(key, plain)):
            raise Failure(f"{name}: the plan's seal does not verify with {KEY_VARIABLE}: it was changed "
                          "after it was saved, or saved with another key; nothing was changed")
    digest = digest_of(plain)
    if expect and not hmac.compare_digest(expect.strip(), digest):
        raise Failure(f"{name}: the plan's digest is {digest}, not the {expect.strip()} that was "
                      "expected (the reviewed plan); nothing was changed")
    return plain, Seal(digest, mac != b"null")


def write_private(path: str | Path, data: bytes) -> None:
    """``data`` to ``path`` atomically, readable by its owner only (0600), whatever was there."""
    target = Path(path)
    handle, scratch = tempfile.mkstemp(prefix=".cmqinfra-plan-", dir=target.parent or ".")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(scratch, 0o600)
        os.replace(scratch, target)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def write_sealed(path: str | Path, plain: bytes) -> str:
    """The plan's bytes sealed (keyed when ``CMQINFRA_PLAN_KEY`` is set) to ``path``, 0600; its digest."""
    write_private(path, seal(plain, plan_key()))
    return digest_of(plain)


def last_digest(path: str) -> str | None:
    """The digest sealed into ``path`` (for messages), or None."""
    try:
        match = _HEAD.match(Path(path).read_bytes()[:256])
    except OSError:
        return None
    return "sha256:" + match.group(1).decode("ascii") if match else None
