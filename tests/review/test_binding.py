"""A saved plan is bound to where it was made: region, target (endpoint or local state) and
account. Anywhere else it is refused before any write call; with no flags it goes back there."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator
from tests.review.helpers import CallLog, queue_names, run, start, write

STACK = """\
    stack: bound
    queues:
      jobs: {}
"""


def plan_to(path: Path, *target: str) -> str:
    manifest = write(path.parent / "bound.yaml", STACK)
    out = run("plan", manifest, *target, "--out", str(path))
    assert out.code == 0, out.output
    return out.stderr


def test_saved_plan_records_its_target(emu: Emulator, tmp_path: Path) -> None:
    plan_to(tmp_path / "p.plan", "--endpoint", emu.endpoint)
    target = json.loads((tmp_path / "p.plan").read_text())["units"][0]["saved_plan"]["target"]
    assert target == {
        "kind": "endpoint",
        "region": "ap-guangzhou",
        "endpoint": emu.url,
        "state_dir": None,
        "account": "100000000001",
    }


def test_another_region_is_refused_before_any_call(emu: Emulator, calls: CallLog, tmp_path: Path) -> None:
    plan_to(tmp_path / "p.plan", "--endpoint", emu.url)
    calls.clear()
    out = run("apply", "--plan", str(tmp_path / "p.plan"), "--region", "ap-shanghai")
    assert out.code == 1
    assert "the plan was made for region ap-guangzhou, this run asks for --region ap-shanghai" in out.stderr
    assert calls.actions == [] and queue_names(emu) == set()


def test_another_endpoint_is_refused_before_any_call(emu: Emulator, calls: CallLog, tmp_path: Path) -> None:
    plan_to(tmp_path / "p.plan", "--endpoint", emu.url)
    calls.clear()
    for other in start(tmp_path / "other.sqlite3"):
        other_calls = CallLog(other)
        out = run("apply", "--plan", str(tmp_path / "p.plan"), "--endpoint", other.url)
        assert out.code == 1
        expected = f"the plan was made against endpoint {emu.url}, this run targets endpoint {other.url}"
        assert expected in out.stderr
        assert other_calls.actions == [] and queue_names(other) == set()
    out = run("apply", "--plan", str(tmp_path / "p.plan"), "--local")
    assert out.code == 1 and "this run targets the local emulator" in out.stderr
    assert calls.actions == [] and not (tmp_path / ".cmqinfra").exists()


def test_another_account_is_refused_with_zero_write_calls(tmp_path: Path) -> None:
    data = tmp_path / "shared.sqlite3"
    for first in start(data, account_id="100000000001"):
        port = first.port
        plan_to(tmp_path / "p.plan", "--endpoint", first.url)
    # The same endpoint and the same live state, but other credentials' account answers there.
    for second in start(data, port=port, account_id="200000000002"):
        calls = CallLog(second)
        out = run("apply", "--plan", str(tmp_path / "p.plan"))
        assert out.code == 1
        assert (
            "the plan was made against account 100000000001, these credentials belong to account 200000000002"
            in out.stderr
        )
        assert calls.actions == ["GetCallerIdentity"] and calls.writes == []
        assert queue_names(second) == set()


def test_the_printed_hint_works_as_printed(emu: Emulator, tmp_path: Path) -> None:
    hint = plan_to(tmp_path / "p.plan", "--endpoint", emu.url).strip().splitlines()[-1].strip()
    argv = shlex.split(hint)
    assert argv[0] == "cmqinfra" and argv[1:3] == ["apply", "--plan"]
    out = run(*argv[1:])
    assert out.code == 0, out.output
    assert "Apply complete! Resources: 1 added" in out.stdout
    assert queue_names(emu) == {"jobs"}


def test_local_plan_goes_back_to_its_state_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    hint = plan_to(project / "p.plan", "--local").strip().splitlines()[-1].strip()
    assert str(project / ".cmqinfra") in run("show", "p.plan").stdout
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    refused = run("apply", "--plan", str(project / "p.plan"), "--local")
    assert refused.code == 1
    expected = f"the plan was made against the local emulator with state in {project / '.cmqinfra'}"
    assert expected in refused.stderr
    assert not (elsewhere / ".cmqinfra").exists()
    # From another directory, with no flag, the plan goes back to its own state directory.
    out = run("apply", "--plan", str(project / "p.plan"))
    assert out.code == 0, out.output
    assert not (elsewhere / ".cmqinfra").exists()
    monkeypatch.chdir(project)
    assert shlex.split(hint)[1:] == ["apply", "--plan", str(project / "p.plan")]
    again = run("plan", "--local", "bound.yaml", "--detailed-exitcode")
    assert again.code == 0 and "No changes." in again.stdout
    assert os.path.exists(project / ".cmqinfra" / "emulator.sqlite3")
