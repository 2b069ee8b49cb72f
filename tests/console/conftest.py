"""The console in a real browser: headless Chromium (the system's) driven by Playwright, against an
emulator on a virtual clock that the tests fill through `cmqinfra apply` and the unmodified CMQ SDK.
Screenshots of each page go to $CMQINFRA_ARTIFACTS/console (default .artifacts/console)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cmqinfra.emulator import Emulator, VirtualClock

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CMQINFRA_ARTIFACTS", ROOT / ".artifacts")) / "console"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module (browsers are the slow part)."""
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        pytest.skip("no system Chromium (Debian's chromium package) to drive")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    try:
        yield tab
    finally:
        context.close()


def shot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


class Hook:
    """An HTTP endpoint for push subscriptions: answers 500 to the first push, 200 after."""

    def __init__(self) -> None:
        hook = self
        self.bodies: list[bytes] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                hook.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(500 if len(hook.bodies) == 1 else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    try:
        yield h
    finally:
        h.close()


@pytest.fixture
def emu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    monkeypatch.chdir(tmp_path)  # the CMQ SDK writes its log into the working directory
    emulator = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False, push_loop=False,
                              clock=VirtualClock(start=float(int(time.time()))), seed=7)
    try:
        yield emulator
    finally:
        emulator.stop()
