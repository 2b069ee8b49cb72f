"""The plan / apply / destroy commands' flags, exit codes and refusals, over an in-memory API.
(The end-to-end tests against the emulator are in test_end_to_end.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmqinfra.cli import cli
from cmqinfra.model import Queue, Stack
from cmqinfra.run import session
from tests.plan.fake_api import FakeApi


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    state: dict[str, object] = {
        "api": FakeApi(),
        "stack": Stack(name="s", queues=(Queue("a", visibility_timeout=30),)),
    }
    monkeypatch.setattr(session, "load", lambda paths: state["stack"])
    monkeypatch.setattr(session, "connect", lambda options, region: state["api"])
    return state


def run(*args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return result.exit_code, result.output


def test_detailed_exitcode_and_apply(world: dict[str, object]) -> None:
    assert run("plan", "x.yaml", "--detailed-exitcode")[0] == 2
    assert run("plan", "x.yaml")[0] == 0
    code, out = run("apply", "x.yaml", "--auto-approve")
    assert code == 0 and "queue/a: created (" in out and "Apply complete! Resources: 1 added" in out
    code, out = run("plan", "x.yaml", "--detailed-exitcode")
    assert code == 0 and "No changes." in out


def test_apply_without_terminal_or_approval_refuses(world: dict[str, object]) -> None:
    code, out = run("apply", "x.yaml")
    assert code == 1 and "--auto-approve" in out
    assert world["api"].calls == []  # type: ignore[attr-defined]


def test_saved_plan_applies_and_stale_plan_is_refused(world: dict[str, object], tmp_path: Path) -> None:
    out_file = tmp_path / "plan.json"
    assert run("plan", "x.yaml", "--out", str(out_file))[0] == 0
    doc = json.loads(out_file.read_text())
    [unit] = doc["units"]
    assert unit["saved_plan"]["fingerprint"] and unit["resource_changes"][0]["address"] == "queue/a"
    assert "SecretKey" not in out_file.read_text()
    api: FakeApi = world["api"]  # type: ignore[assignment]
    # another client changes live state: the saved plan is stale
    api.create_queue(Queue("other"), ())
    api.calls.clear()
    code, out = run("apply", "--plan", str(out_file))
    assert code == 1 and "stale" in out and api.calls == []
    assert run("plan", "x.yaml", "--out", str(out_file))[0] == 0
    code, out = run("apply", "--plan", str(out_file))
    assert code == 0 and "queue/a: created" in out


def test_plan_error_exits_1_and_names_owner(world: dict[str, object]) -> None:
    api: FakeApi = world["api"]  # type: ignore[assignment]
    api.create_queue(Queue("a", visibility_timeout=30), (("cmqinfra-stack", "team-b"),))
    code, out = run("plan", "x.yaml")
    assert code == 1 and "'team-b'" in out


def test_failed_apply_reports_and_exits_1(world: dict[str, object]) -> None:
    world["api"] = FakeApi(fail={"CreateCmqQueue:a"})
    code, out = run("apply", "x.yaml", "--auto-approve", "--debug")
    assert code == 1 and "queue/a: FAILED" in out and "InternalError" in out
    assert "CreateCmqQueue: 1" in out


def test_json_format(world: dict[str, object]) -> None:
    code, out = run("plan", "x.yaml", "--format", "json")
    assert code == 0 and json.loads(out)["resource_changes"][0]["change"]["actions"] == ["create"]


def test_destroy(world: dict[str, object]) -> None:
    assert run("apply", "x.yaml", "--auto-approve")[0] == 0
    code, out = run("destroy", "x.yaml", "--auto-approve")
    assert code == 0 and "queue/a: deleted" in out
    assert world["api"].queues == {}  # type: ignore[attr-defined]


def test_sigterm_finishes_in_flight_then_stops(world: dict[str, object]) -> None:
    import os
    import signal

    world["stack"] = Stack(name="s", queues=tuple(Queue(f"q{i}", visibility_timeout=30) for i in range(6)))
    api = FakeApi(delay=0.05)
    world["api"] = api
    api.on_call = lambda call: os.kill(os.getpid(), signal.SIGTERM) if call == "CreateCmqQueue:q0" else None
    code, out = run("apply", "x.yaml", "--auto-approve", "--parallelism", "2")
    assert code == 1 and "Apply interrupted" in out and "not started: queue/" in out
    # the call that was in flight with q0 finished; nothing else started
    assert 1 <= len(api.calls) <= 2
    assert "Running apply again converges" in out


def test_prompt_accepts_only_yes(world: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session, "interactive", lambda: True)
    for answer in ("y", "YES", "no", ""):
        code, out = run("apply", "x.yaml", input=f"{answer}\n")
        assert code == 1 and "cancelled" in out
    assert world["api"].calls == []  # type: ignore[attr-defined]
    code, out = run("apply", "x.yaml", input="yes\n")
    assert code == 0 and "Only 'yes' will be accepted" in out and "queue/a: created" in out
