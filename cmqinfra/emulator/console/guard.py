"""Who may use the console. A browser on the developer's machine, logged in with the emulator's
credentials; never a page from another origin, and never through a DNS name that was rebound to
loopback. Every rule refuses by default:

- Host: the request must name a loopback host (``localhost``, ``127.0.0.0/8``, ``[::1]``) or one
  the operator allowed (``--console-host``); a rebound DNS name fails here, reads included.
- Peer: a loopback address, unless the operator allowed other hosts.
- Session: ``POST .../api/login`` with the SecretId and SecretKey sets an HttpOnly,
  ``SameSite=Strict`` cookie; every API call needs it.
- Writes: the session's CSRF token in ``X-CMQInfra-CSRF`` (a custom header: a cross-origin page
  cannot send it without a CORS preflight, which is never granted), an ``Origin`` (when sent)
  equal to the console's own, and a JSON body.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from dataclasses import dataclass

COOKIE = "cmqinfra_console"
CSRF_HEADER = "x-cmqinfra-csrf"
SESSION_SECONDS = 12 * 3600
MAX_SESSIONS = 64
_LOOPBACK_NAMES = {"localhost", "localhost.", "ip6-localhost"}


class Refused(Exception):
    """A request the console does not serve: the HTTP status and one line saying why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def host_name(host_header: str) -> str:
    """The host part of a Host header (port and IPv6 brackets removed), lower-cased."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def is_loopback(name: str) -> bool:
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Session:
    csrf: str
    expires: float


class Guard:
    def __init__(self, secret_id: str, secret_key: str, allowed_hosts: tuple[str, ...] = ()) -> None:
        self._secret_id = secret_id
        self._secret_key = secret_key
        self._allowed = {h.lower() for h in allowed_hosts}
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def allow(self, hosts: tuple[str, ...]) -> None:
        """Also answer to these Host names, from any peer (the operator's choice, e.g. a container)."""
        self._allowed |= {h.lower() for h in hosts}

    def check_place(self, host_header: str, peer: str) -> None:
        """Host and peer: loopback, or what the operator allowed."""
        name = host_name(host_header)
        if not host_header or not (is_loopback(name) or name in self._allowed):
            raise Refused(403, "the console answers only to a loopback Host (start the emulator with "
                               "--console-host NAME to allow another name)")
        if not self._allowed and not is_loopback(peer):
            raise Refused(403, "the console answers only to this machine (see --console-host)")

    def check_origin(self, origin: str | None, host_header: str, fetch_site: str | None) -> None:
        """A write must come from the console's own pages."""
        if fetch_site is not None and fetch_site not in ("same-origin", "none"):
            raise Refused(403, "cross-site request refused")
        if origin is not None and origin != f"http://{host_header}":
            raise Refused(403, "request from another origin refused")

    def login(self, secret_id: object, secret_key: object) -> tuple[str, Session]:
        ok_id = isinstance(secret_id, str) and hmac.compare_digest(
            secret_id.encode(), self._secret_id.encode())
        ok_key = isinstance(secret_key, str) and hmac.compare_digest(
            secret_key.encode(), self._secret_key.encode())
        if not (ok_id and ok_key):
            time.sleep(0.2)  # a guessing loop gets slow
            raise Refused(401, "the SecretId or SecretKey is not the emulator's")
        token = secrets.token_urlsafe(32)
        session = Session(csrf=secrets.token_urlsafe(24), expires=time.monotonic() + SESSION_SECONDS)
        with self._lock:
            if len(self._sessions) >= MAX_SESSIONS:
                oldest = min(self._sessions, key=lambda t: self._sessions[t].expires)
                del self._sessions[oldest]
            self._sessions[token] = session
        return token, session

    def logout(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    def session(self, token: str | None) -> Session:
        with self._lock:
            found = self._sessions.get(token or "")
        if found is None or found.expires < time.monotonic():
            raise Refused(401, "log in with the emulator's credentials first")
        return found

    def check_write(self, session: Session, csrf_header: str | None) -> None:
        if not csrf_header or not hmac.compare_digest(csrf_header.encode(), session.csrf.encode()):
            raise Refused(403, "missing or wrong CSRF token")


def cookie_header(token: str) -> str:
    return f"{COOKIE}={token}; Path=/_cmqinfra/console/; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}"


def cookie_value(header: str | None) -> str | None:
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE:
            return value
    return None
