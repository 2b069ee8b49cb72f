"""Nobody but the developer's own browser, logged in with the emulator's credentials, can write
through the console: not a request without them, not a page of another origin (CSRF), not a DNS
name rebound to loopback, not another machine. Each refused write leaves the queue as it was."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from cmq.account import Account
from cmq.queue import Message as QueueMessage

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from cmqinfra.emulator.console.guard import Guard, Refused

API = "/_cmqinfra/console/api/"


def call(
    emu: Emulator, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection(emu.host, emu.port, timeout=10)
    data = json.dumps(body).encode() if body is not None else None
    sent = {"Content-Type": "application/json"} if data is not None else {}
    sent.update({k.replace("_", "-"): v for k, v in headers.items()})
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    raw = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), json.loads(raw) if raw.startswith(b"{") else raw


def login(emu: Emulator) -> tuple[str, str]:
    status, headers, body = call(emu, "POST", API + "login", {"secretId": DEFAULT_SECRET_ID,
                                                             "secretKey": DEFAULT_SECRET_KEY})
    assert status == 200
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    return cookie.split(";")[0], body["csrf"]


@pytest.fixture
def filled(emu: Emulator) -> Account:
    account = Account(emu.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    emu.backend.call("CreateCmqQueue", {"QueueName": "orders"})
    account.get_queue("orders").send_message(QueueMessage("keep me"))
    return account


def active(account: Account) -> int:
    return account.get_queue("orders").get_attributes().activeMsgNum


def test_writes_without_the_credentials_or_from_another_origin_are_refused(
    emu: Emulator, filled: Account
) -> None:
    send = {"queue": "orders", "body": "injected"}
    assert call(emu, "POST", API + "send", send)[0] == 401  # no session
    assert call(emu, "GET", API + "overview")[0] == 401  # reads too
    wrong = call(emu, "POST", API + "login", {"secretId": DEFAULT_SECRET_ID, "secretKey": "guess"})
    assert wrong[0] == 401 and "Set-Cookie" not in wrong[1]
    cookie, csrf = login(emu)
    assert call(emu, "POST", API + "send", send, Cookie=cookie)[0] == 403  # no CSRF token
    assert call(emu, "POST", API + "send", send, Cookie=cookie, X_CMQInfra_CSRF="forged")[0] == 403
    assert call(emu, "POST", API + "send", send, Cookie=cookie, X_CMQInfra_CSRF=csrf,
                Origin="http://evil.example")[0] == 403
    assert call(emu, "POST", API + "send", send, Cookie=cookie, X_CMQInfra_CSRF=csrf,
                Sec_Fetch_Site="cross-site")[0] == 403
    # A rebound DNS name reaches the loopback port but names another host: refused, reads included.
    assert call(emu, "GET", API + "overview", Cookie=cookie, Host="rebind.evil.example:80")[0] == 403
    assert call(emu, "POST", API + "login", {"secretId": DEFAULT_SECRET_ID, "secretKey": DEFAULT_SECRET_KEY},
                Origin="http://evil.example")[0] == 403
    assert active(filled) == 1  # nothing got in
    assert call(emu, "POST", API + "send", send, Cookie=cookie, X_CMQInfra_CSRF=csrf,
                Origin=f"http://{emu.endpoint}")[0] == 200
    assert active(filled) == 2
    assert call(emu, "POST", API + "logout", {}, Cookie=cookie, X_CMQInfra_CSRF=csrf)[0] == 200
    assert call(emu, "POST", API + "send", send, Cookie=cookie, X_CMQInfra_CSRF=csrf)[0] == 401


def test_only_loopback_unless_the_operator_allows_a_host() -> None:
    guard = Guard("id", "key")
    guard.check_place("127.0.0.1:9470", "127.0.0.1")
    guard.check_place("localhost:9470", "::1")
    guard.check_place("[::1]:9470", "::1")
    for host, peer in (("emulator.internal:9470", "127.0.0.1"), ("127.0.0.1:9470", "10.0.0.8"),
                       ("", "127.0.0.1"), ("127.0.0.1.evil.example", "127.0.0.1")):
        with pytest.raises(Refused):
            guard.check_place(host, peer)
    guard.allow(("emulator.internal",))
    guard.check_place("emulator.internal:9470", "10.0.0.8")


@pytest.fixture
def attacker() -> Iterator[str]:
    """A page on another origin that tries to purge and send through the console when opened."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            target = self.path.split("?t=", 1)[1]
            page = f"""<!doctype html><body>
<form id=f method=POST enctype=text/plain action="{target}api/send">
<input name='{{"queue":"orders","body":"csrf","x":"' value='"}}'></form>
<script>
fetch("{target}api/send", {{method: "POST", credentials: "include", mode: "no-cors",
  headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{queue: "orders", body: "fetch"}})}})
  .finally(() => document.getElementById("f").submit());
</script></body>"""
            data = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_page_of_another_origin_cannot_write_with_the_logged_in_browser(
    page: Any, emu: Emulator, filled: Account, attacker: str
) -> None:
    console = f"{emu.url}/_cmqinfra/console/"
    page.goto(console)
    page.fill("#secret-id", DEFAULT_SECRET_ID)
    page.fill("#secret-key", DEFAULT_SECRET_KEY)
    page.click("#login-button")
    page.wait_for_selector("#queue-table")
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if "/api/send" in r.url else None)
    page.goto(attacker + "?t=" + console)  # same site (127.0.0.1), another origin (port)
    page.wait_for_load_state("networkidle")
    assert len(answers) == 2 and all(status in (403, 415) for status in answers), answers  # fetch, form
    assert active(filled) == 1
