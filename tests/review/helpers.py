"""Running the CLI in-process against emulators, and counting the calls each emulator serves."""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmqinfra.cli import cli
from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

# Actions that change something; everything else reads.
WRITES = (
    "Create", "Modify", "Delete", "Clear", "Rewind", "Unbind", "Send", "Publish", "TagResources", "UnTag",
)


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run(*args: str, input: str | None = None) -> Outcome:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return Outcome(result.exit_code, result.stdout, result.stderr)


class CallLog:
    """Every action an emulator was asked for, in order (recorded before it is handled)."""

    def __init__(self, emu: Emulator) -> None:
        self.actions: list[str] = []
        self._lock = threading.Lock()
        original = emu.handle

        def handle(http, request_id, unsupported):  # type: ignore[no-untyped-def]
            with self._lock:
                self.actions.append(http.headers.get("X-TC-Action", ""))
            return original(http, request_id, unsupported)

        emu.handle = handle  # type: ignore[method-assign]

    @property
    def writes(self) -> list[str]:
        return [a for a in self.actions if a.startswith(WRITES)]

    def clear(self) -> None:
        with self._lock:
            self.actions.clear()


def clean_environment(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """No cloud credentials, no region and no tccli profile from the machine running the tests."""
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_SESSION_TOKEN",
                 "TENCENTCLOUD_REGION", "TCCLI_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def start(path: Path, **kwargs: object) -> Iterator[Emulator]:
    emu = Emulator.start(path, rate_limits=False, **kwargs)  # type: ignore[arg-type]
    try:
        yield emu
    finally:
        emu.stop()


def sdk_client(emu: Emulator):  # type: ignore[no-untyped-def]
    from tencentcloud.common import credential
    from tencentcloud.common.common_client import CommonClient
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile

    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint, reqTimeout=10))
    cred = credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    return CommonClient("tdmq", "2020-02-17", cred, emu.region, profile)


def queue_names(emu: Emulator) -> set[str]:
    listing = sdk_client(emu).call_json("DescribeCmqQueues", {"Limit": 50})["Response"]
    return {q["QueueName"] for q in listing.get("QueueList") or []}


def send(emu: Emulator, queue: str, count: int, delay: int = 0) -> None:
    client = sdk_client(emu)
    for i in range(count):
        client.call_json("SendCmqMsg", {"QueueName": queue, "MsgContent": f"m{i}", "DelaySeconds": delay})
