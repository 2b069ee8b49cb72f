"""A client of the emulator's admin endpoints (``/_cmqinfra/...``), standard library only.

    client = AdminClient("http://127.0.0.1:9470", secret_id, secret_key)
    client.health(); client.ready()
    client.peek("orders"); client.purge("orders"); client.redrive("orders-dead"); client.reset("payments")

Every call but health/ready is signed (``admin_auth``); answers are the endpoints' JSON. Proxies
are never used: the emulator is a local endpoint, and a proxy would see the signed calls.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from cmqinfra import admin_auth

PREFIX = "/_cmqinfra"


class AdminError(Exception):
    """An admin call that did not succeed: the HTTP status and the emulator's code and message,
    or status 0 when nothing answered."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if status else message)
        self.status = status
        self.code = code
        self.message = message


class AdminClient:
    def __init__(self, url: str, secret_id: str, secret_key: str, timeout: float = 30.0) -> None:
        split = urlsplit(url if "://" in url else f"http://{url}")
        if split.scheme not in ("http", "https") or not split.netloc:
            raise AdminError(0, "InvalidEndpoint", f"the endpoint {url!r} is not an http(s) URL")
        self.base = f"{split.scheme}://{split.netloc}"
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def __repr__(self) -> str:  # never the key
        return f"AdminClient({self.base!r}, secret_id={self.secret_id!r})"

    # ---------------------------------------------------------------------------------- calls

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health", signed=False)

    def ready(self) -> bool:
        try:
            return bool(self._call("GET", "/ready", signed=False).get("ready"))
        except AdminError as error:
            if error.status == 503:
                return False
            raise

    def peek(self, queue: str, limit: int = 1000) -> dict[str, Any]:
        return self._call("GET", f"/queues/{quote(queue, safe='')}/messages", {"limit": str(limit)})

    def purge(self, queue: str) -> dict[str, Any]:
        return self._call("POST", f"/queues/{quote(queue, safe='')}/purge")

    def redrive(self, dead_letter_queue: str) -> dict[str, Any]:
        return self._call("POST", f"/queues/{quote(dead_letter_queue, safe='')}/redrive")

    def reset(self, stack: str | None = None) -> dict[str, Any]:
        return self._call("POST", "/reset", {"stack": stack} if stack is not None else None)

    def time(self) -> dict[str, Any]:
        return self._call("GET", "/clock")

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move an emulator started with --virtual-clock; pushes due by then are tried first."""
        return self._call("POST", "/clock", {"advance": repr(float(seconds))})

    # ------------------------------------------------------------------------------- plumbing

    def _call(
        self, method: str, path: str, query: dict[str, str] | None = None, signed: bool = True
    ) -> dict[str, Any]:
        target = PREFIX + path + (f"?{urlencode(query)}" if query else "")
        body = b""
        headers = {"Accept": "application/json"}
        if method == "POST":
            headers["Content-Type"] = "application/json"
        if signed:
            headers["Authorization"] = admin_auth.authorization(
                self.secret_id, self._secret_key, method, target, int(time.time()), body
            )
        request = urllib.request.Request(
            self.base + target, data=body if method == "POST" else None, headers=headers, method=method
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return _json(response.read())
        except urllib.error.HTTPError as error:
            answer = _json(error.read())
            problem = answer.get("error") or {}
            if error.code == 503 and "ready" in answer:
                raise AdminError(503, "NotReady", str(answer.get("reason", "not ready"))) from None
            raise AdminError(
                error.code, str(problem.get("code", f"HTTP{error.code}")), str(problem.get("message", ""))
            ) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise AdminError(0, "Unreachable", f"no emulator answered at {self.base}: {reason}") from None


def _json(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
