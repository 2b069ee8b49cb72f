"""What the repository may choose about where credentials go, and what only the operator may.

A pull request writes ``cmqinfra.yaml``. An endpoint it names is used only when it is a local
emulator on a loopback address, or when the operator allows that URL on the command line
(``--allow-endpoint``) or in a CI variable (``CMQINFRA_ALLOWED_ENDPOINTS``): otherwise planning a
pull request would sign requests, SecretId and session token in clear, to a host the author owns.
A loopback endpoint the operator did not allow is taken for what the rule lets through, a local
emulator: it is signed with the emulator's documented pair, never with the operator's credentials
(whatever listens on that port of the runner is not known to be an emulator).
Credential variable names must look like credential variables, so the repository cannot make
cmqinfra read ``GITHUB_TOKEN`` or send the secret key where the id goes. See docs/security.md (G1).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

ALLOWED_ENDPOINTS_VARIABLE = "CMQINFRA_ALLOWED_ENDPOINTS"

# field of ``credentials:`` -> the suffix its variable's name must have
CREDENTIAL_SUFFIXES = {"secretId": "_SECRET_ID", "secretKey": "_SECRET_KEY", "sessionToken": "_SESSION_TOKEN"}
_CREDENTIAL_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def credential_name_problem(field: str, name: str) -> str | None:
    """Why ``name`` may not hold the ``field`` credential, or None."""
    suffix = CREDENTIAL_SUFFIXES[field]
    if _CREDENTIAL_NAME.fullmatch(name) and name.endswith(suffix) and len(name) > len(suffix):
        return None
    return (f"credentials.{field} names the variable {name!r}; a {field} variable's name must be "
            f"upper case and end in {suffix} (e.g. PROD{suffix}), so no other variable is ever sent")


def normalise(url: str) -> str:
    """A URL as compared: scheme and host lower case, no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:  # a malformed port: compared as written, so it matches nothing else
        return url.strip()
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def is_loopback(url: str) -> bool:
    """A plain http(s) URL whose host is a loopback address (or ``localhost``), no user info."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or host is None or "@" in parts.netloc:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_endpoints(given: Iterable[str], environ: Mapping[str, str]) -> tuple[str, ...]:
    """The operator's allowances: ``--allow-endpoint`` values and the CI variable's list."""
    listed = [u for u in environ.get(ALLOWED_ENDPOINTS_VARIABLE, "").replace(",", " ").split() if u]
    return tuple(sorted({normalise(u) for u in (*given, *listed)}))


def operator_trusts(url: str, allowed: Iterable[str]) -> bool:
    """Whether the operator's credentials may sign requests to a repository-named endpoint: only
    when the operator allowed that URL (a loopback address alone does not say whose server it is)."""
    return normalise(url) in set(allowed)


def credentials_problem(url: str, allowed: Iterable[str], names: Iterable[str]) -> str | None:
    """Why an environment may not send the credentials held in the variables ``names`` to the
    repository-named endpoint ``url``, or None when it may."""
    if operator_trusts(url, allowed):
        return None
    shown = " and ".join(f"${name}" for name in names)
    return (f"endpoint {url!r} comes from the repository, and the credentials in {shown} go to it "
            f"only when the operator allows it; nothing was sent to it. If the operator trusts it: "
            f"--allow-endpoint {url} or {ALLOWED_ENDPOINTS_VARIABLE} (without credentials:, a loopback "
            f"emulator is signed with its documented local pair)")


def endpoint_problem(url: str, allowed: Iterable[str]) -> str | None:
    """Why a repository-named endpoint may not be used, or None when it may."""
    if is_loopback(url) or normalise(url) in set(allowed):
        return None
    return (f"endpoint {url!r} comes from the repository and is not a local emulator on a loopback "
            f"address; nothing was sent to it. If the operator trusts it: --allow-endpoint {url} "
            f"or {ALLOWED_ENDPOINTS_VARIABLE}")
