"""Fixtures for the CMQ message API: the emulator on a virtual clock, the unmodified CMQ SDK."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cmq.account import Account
from cmq.cmq_exception import CMQServerException
from cmq.queue import Queue, QueueMeta
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.tdmq.v20200217 import tdmq_client as tdmq_module

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator, VirtualClock


@pytest.fixture(autouse=True)
def _sdk_log_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The CMQ SDK writes CMQ_python_sdk.log into the working directory.
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=float(int(time.time())))


@pytest.fixture
def emu(tmp_path: Path, clock: VirtualClock) -> Iterator[Emulator]:
    """An emulator on the virtual clock; pushes run only when a test calls deliver_due()."""
    emulator = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False, clock=clock, push_loop=False, seed=7)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def real_emu(tmp_path: Path) -> Iterator[Emulator]:
    emulator = Emulator.start(tmp_path / "real.sqlite3", rate_limits=False)
    try:
        yield emulator
    finally:
        emulator.stop()


def account_for(emulator: Emulator) -> Account:
    return Account(emulator.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)


@pytest.fixture
def account(emu: Emulator) -> Account:
    return account_for(emu)


@pytest.fixture
def tdmq(emu: Emulator) -> tdmq_module.TdmqClient:
    cred = credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=10))
    return tdmq_module.TdmqClient(cred, emu.region, profile)


def api3(client: tdmq_module.TdmqClient, action: str, params: dict[str, Any]) -> dict[str, Any]:
    return client.call_json(action, params)["Response"]


def make_queue(account: Account, name: str, **attrs: int) -> Queue:
    meta = QueueMeta()
    meta.queueName = name
    for key, value in attrs.items():
        setattr(meta, key, value)
    queue = account.get_queue(name)
    queue.create(meta)
    return queue


def cmq_code(call: Any, *args: Any, **kwargs: Any) -> int:
    """The numeric CMQ code a call fails with (the SDK raises CMQServerException)."""
    with pytest.raises(CMQServerException) as info:
        call(*args, **kwargs)
    return int(info.value.code)


# ----------------------------------------------------------------------------- an http push target


@dataclass
class PushTarget:
    """A local HTTP server recording every push; answers the statuses in ``script`` then 200."""

    url: str
    script: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def push_target() -> Iterator[PushTarget]:
    target = PushTarget(url="")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            target.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = target.script.pop(0) if target.script else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    target.url = f"http://127.0.0.1:{server.server_address[1]}/push"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield target
    finally:
        server.shutdown()
        server.server_close()
