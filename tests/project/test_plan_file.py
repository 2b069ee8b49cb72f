"""One plan-file format for a stack and a project: `show` renders either offline, `apply --plan`
reads either with the one reader, and a project's saved approvals are the only ones applied."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from helpers import cmq, queues, sdk

from cmqinfra.emulator import Emulator
from cmqinfra.run.saved import read_plan_file


def _send(emu: Emulator, queue: str, count: int) -> None:
    client = sdk(emu)
    for i in range(count):
        client.call_json("SendCmqMsg", {"QueueName": queue, "MsgContent": f"m{i}", "DelaySeconds": 0})


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network unreachable (test)")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def saved(repo: Path, emulators: dict[str, Emulator]) -> Path:
    """A saved project plan deleting a queue holding messages in each environment, approved."""
    code, _, err = cmq(repo, "apply", "--auto-approve")
    assert code == 0, err
    _send(emulators["dev"], "refunds-dev", 2)
    _send(emulators["prod"], "refunds", 1)
    (repo / "stacks/payments/refunds.yaml").unlink()
    code, out, err = cmq(repo, "plan", "--out", "project.plan")
    assert code == 1 and "refused" in err, out + err  # data loss needs approval
    code, out, err = cmq(repo, "plan", "--allow-data-loss", "--out", "project.plan")
    assert code == 0, out + err
    return repo / "project.plan"


def test_show_renders_a_saved_project_plan_offline_as_text(saved: Path, no_network: None) -> None:
    code, out, err = cmq(saved.parent, "show", "project.plan")
    assert code == 0, err
    for key in ("payments[dev]", "payments[prod]", "orders[dev]", "orders[prod]", "audit[prod]"):
        assert f"=== {key} (region " in out
    assert "queue/refunds-dev will be destroyed" in out and "queue/refunds will be destroyed" in out
    assert "Project: 5 stack(s), 2 with changes." in out
    assert "  payments  prod         ap-shanghai     0       0        1  changes" in out
    assert ("payments[prod]: planned against endpoint http://127.0.0.1:" in out
            and ", region ap-shanghai, account 100000000001; data loss approved for: queue/refunds." in out)
    assert "payments[dev]: planned against" in out and "approved for: queue/refunds-dev." in out
    assert "audit[prod]: planned against" in out and "audit[prod]" in out


def test_show_renders_a_saved_project_plan_as_json_and_markdown(saved: Path, no_network: None) -> None:
    code, out, err = cmq(saved.parent, "show", "project.plan", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [(u["stack"], u["environment"], u["region"], u["status"]) for u in doc["units"]] == [
        ("payments", "dev", "ap-guangzhou", "changes"),
        ("payments", "prod", "ap-shanghai", "changes"),
        ("orders", "dev", "ap-guangzhou", "no changes"),
        ("orders", "prod", "ap-shanghai", "no changes"),
        ("audit", "prod", "ap-shanghai", "no changes"),
    ]
    changes = doc["units"][1]["plan"]["resource_changes"]
    [deleted] = [c for c in changes if c["change"]["actions"] == ["delete"]]
    assert deleted["address"] == "queue/refunds"
    assert doc["units"][1]["plan"]["data_loss"][0]["approved"] is True

    code, out, err = cmq(saved.parent, "show", "project.plan", "--format", "markdown")
    assert code == 0, err
    assert out.startswith("## cmqinfra plan: 5 stack(s), 2 with changes")
    assert "| `payments[prod]` | `ap-shanghai` | 0 | 0 | 0 | 1 | 0 | 0 | 0 | changes |" in out
    assert "<details><summary><code>payments[dev]</code>: Plan: 0 to add, 0 to change, 1 to destroy." in out


def test_a_stack_plan_file_is_a_plan_file_of_one_unit(tmp_path: Path, emulators: dict[str, Emulator],
                                                      saved: Path) -> None:
    stack = tmp_path / "one.yaml"
    stack.write_text("stack: one\nqueues:\n  solo: {}\n")
    code, _, err = cmq(tmp_path, "plan", str(stack), "--endpoint", emulators["dev"].url, "--out", "one.plan")
    assert code == 0, err
    one, many = read_plan_file(str(tmp_path / "one.plan")), read_plan_file(str(saved))
    assert (one.project, len(one.units), one.units[0].stack.name, one.units[0].environment) == (
        False, 1, "one", None)
    assert many.project and [(u.unit_stack, u.environment) for u in many.units] == [
        ("payments", "dev"), ("payments", "prod"), ("orders", "dev"), ("orders", "prod"), ("audit", "prod")]
    for file in (one, many):
        assert {u.target.kind for u in file.units if u.target} == {"endpoint"}
        assert all(u.target and u.target.account == "100000000001" for u in file.units)
    # The same keys at every level: a project's unit is a stack's file with its place in the project.
    a = json.loads((tmp_path / "one.plan").read_text())
    b = json.loads(saved.read_text())
    assert a.keys() == b.keys() and a["units"][0].keys() == b["units"][0].keys()
    assert a["units"][0]["saved_plan"].keys() == b["units"][0]["saved_plan"].keys()
    # A project's file given with a PATH is refused, naming what to do.
    code, _, err = cmq(tmp_path, "apply", str(stack), "--plan", str(saved))
    assert code == 1 and "give either manifest PATH... or --plan FILE" in err


def test_saved_project_plan_refuses_allow_data_loss_and_applies_its_own_approvals(
    saved: Path, emulators: dict[str, Emulator]
) -> None:
    repo = saved.parent
    code, out, err = cmq(repo, "apply", "--plan", "project.plan", "--allow-data-loss")
    assert code == 1
    assert (
        "--allow-data-loss does not apply to a saved plan: it carries its own approval "
        "(plan --allow-data-loss --out FILE); nothing was changed\n"
    ) in err
    assert "refunds-dev" in queues(emulators["dev"]) and "refunds" in queues(emulators["prod"])

    code, out, err = cmq(repo, "apply", "--plan", "project.plan")
    assert code == 0, out + err
    assert "refunds-dev" not in queues(emulators["dev"]) and "refunds" not in queues(emulators["prod"])
    assert "[1/2] " in out and "[2/2] " in out
    assert "Apply complete! Resources: 0 added, 0 changed, 2 destroyed across 2 stack(s)." in out


def test_a_stack_plan_file_refuses_allow_data_loss_too(tmp_path: Path,
                                                      emulators: dict[str, Emulator]) -> None:
    stack = tmp_path / "one.yaml"
    stack.write_text("stack: one\nqueues:\n  solo: {}\n")
    code, _, err = cmq(tmp_path, "plan", str(stack), "--endpoint", emulators["dev"].url, "--out", "one.plan")
    assert code == 0, err
    code, _, err = cmq(tmp_path, "apply", "--plan", "one.plan", "--allow-data-loss")
    assert code == 1 and "--allow-data-loss does not apply to a saved plan" in err
    assert "solo" not in queues(emulators["dev"])


def test_a_malformed_plan_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.plan").write_text('{"kind": "cmqinfra-plan", "cmqinfra_version": "x"}')
    code, _, err = cmq(tmp_path, "show", "bad.plan")
    assert code == 1 and "error: bad.plan: the saved plan was made by cmqinfra x" in err
    (tmp_path / "bad.plan").write_text('{"saved_plan": {}}')
    code, _, err = cmq(tmp_path, "show", "bad.plan")
    assert code == 1
    assert err.strip() == "error: bad.plan: not a cmqinfra saved plan (missing or wrong field kind)"
    code, _, err = cmq(tmp_path, "apply", "--plan", "bad.plan")
    assert code == 1 and "not a cmqinfra saved plan" in err and "Traceback" not in err


def test_show_of_a_local_project_plan_names_the_local_emulator(tmp_path: Path) -> None:
    import shutil

    repo = tmp_path / "repo"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "project", repo)
    code, _, err = cmq(repo, "plan", "--local", "--out", "local.plan")
    assert code == 0, err
    code, out, err = cmq(repo, "show", "local.plan")
    assert code == 0, err
    assert "audit[prod]: planned against the local emulator, region ap-shanghai" in out
    assert "None" not in out
