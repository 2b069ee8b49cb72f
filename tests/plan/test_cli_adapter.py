"""The commands with the real adapter (stack given directly, so no manifest loader needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cmqinfra.cli import cli
from cmqinfra.emulator import Emulator
from cmqinfra.run import session
from tests.plan.test_with_adapter import SMALL


@pytest.fixture(autouse=True)
def _stack(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "load", lambda paths: SMALL)
    monkeypatch.setenv("NO_COLOR", "1")
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_REGION"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_local_mode_persists_across_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = run("apply", "x.yaml", "--local", "--auto-approve")
    assert code == 0, out
    assert (tmp_path / ".cmqinfra").is_dir()
    code, out = run("plan", "x.yaml", "--local", "--detailed-exitcode")
    assert code == 0 and "No changes." in out, out


def test_endpoint_debug_counts_without_secrets(emulator: Emulator) -> None:
    code, out = run("apply", "x.yaml", "--endpoint", emulator.url, "--auto-approve", "--debug")
    assert code == 0, out
    assert "CreateCmqQueue: 2" in out and "DescribeCmqQueues" in out
    from cmqinfra.emulator import DEFAULT_SECRET_KEY

    assert DEFAULT_SECRET_KEY not in out


def test_cloud_without_credentials_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no tccli profile
    code, out = run("plan", "x.yaml", "--region", "ap-guangzhou")
    assert code == 1 and out.strip().count("\n") == 0 and out.startswith("error: ")


def test_unreachable_endpoint_is_one_line() -> None:
    code, out = run("plan", "x.yaml", "--endpoint", "http://127.0.0.1:9", "--parallelism", "1")
    assert code == 1 and "Traceback" not in out and out.startswith("error: ")
