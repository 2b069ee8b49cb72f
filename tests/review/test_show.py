"""`cmqinfra show PLANFILE` renders a saved plan with no credentials and no network."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.review.helpers import run, send, start, write

BEFORE = """\
    stack: shown
    queues:
      old: {}
      tuned: {visibilityTimeout: 30}
"""
AFTER = """\
    stack: shown
    queues:
      tuned: {visibilityTimeout: 45}
      fresh: {}
"""


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    plan_file = tmp_path / "p.plan"
    for emu in start(tmp_path / "gone.sqlite3"):
        path = write(tmp_path / "s.yaml", BEFORE)
        assert run("apply", path, "--endpoint", emu.url, "--auto-approve").code == 0
        send(emu, "old", 2)
        path = write(tmp_path / "s.yaml", AFTER)
        out = run("plan", path, "--endpoint", emu.url, "--allow-data-loss", "--out", str(plan_file))
        assert out.code == 0, out.output
    # The emulator is gone; point the plan at an endpoint where nothing listens, to be sure.
    doc = json.loads(plan_file.read_text())
    doc["units"][0]["saved_plan"]["target"]["endpoint"] = "http://127.0.0.1:9"
    doc.pop("cmqinfra_seal")  # an edited plan is shown only unsealed (an edit breaks the seal)
    plan_file.write_text(json.dumps(doc))
    return plan_file


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network unreachable (test)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_show_text(saved: Path, no_network: None) -> None:
    out = run("show", str(saved))
    assert out.code == 0, out.output
    assert "cmqinfra will perform the following actions (stack shown, region ap-guangzhou from" in out.stdout
    assert "~ visibilityTimeout = 30 -> 45" in out.stdout
    assert "Plan: 1 to add, 1 to change, 1 to destroy." in out.stdout
    assert "CAUTION: queue/old will be deleted with 2 message(s)" in out.stdout
    target = "Planned against endpoint http://127.0.0.1:9, region ap-guangzhou, account 100000000001"
    assert target in out.stdout
    assert "data loss approved for: queue/old" in out.stdout


def test_show_json(saved: Path, no_network: None) -> None:
    out = run("show", str(saved), "--format", "json")
    assert out.code == 0, out.output
    doc = json.loads(out.stdout)
    actions = {c["address"]: c["change"]["actions"] for c in doc["resource_changes"]}
    assert actions == {"queue/fresh": ["create"], "queue/tuned": ["update"], "queue/old": ["delete"]}
    assert doc["data_loss"] == [
        {"address": "queue/old", "action": "delete", "messages": {"active": 2, "in_flight": 0, "delayed": 0},
         "approved": True}
    ]
    assert doc["summary"] == {
        "add": 1, "change": 1, "destroy": 1, "adopt": 0, "move": 0, "release": 0, "import": 0
    }


def test_show_markdown(saved: Path, no_network: None) -> None:
    out = run("show", str(saved), "--format", "markdown")
    assert out.code == 0, out.output
    assert out.stdout.startswith("## cmqinfra plan for stack `shown` in `ap-guangzhou`")
    assert "**Plan: 1 to add, 1 to change, 1 to destroy.**" in out.stdout
    assert "> - `queue/old` will be **deleted**" in out.stdout


def test_show_refuses_what_is_not_a_plan(tmp_path: Path, no_network: None) -> None:
    (tmp_path / "x.plan").write_text("{}")
    out = run("show", str(tmp_path / "x.plan"), "--format", "markdown")
    assert out.code == 1 and "not a cmqinfra saved plan" in out.stderr
    assert out.stdout.startswith("### :x: cmqinfra show failed")
    assert "Traceback" not in out.output
