"""The project path's own bugs, each pinned by the behaviour a user would see (the stack path has
its own tests of the same rules): a queue another stack's subscription uses, the exit code of a
run where only some stacks change, a stack's own entry in cmqinfra.yaml for --changed-since, a
stack's values per environment over its values for all, an environment's endpoint over the
command line's, a moved claim whatever its case, and the tccli profile TCCLI_PROFILE names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cmq, git, queues, write

from cmqinfra.emulator import Emulator
from cmqinfra.project.units import load_project
from cmqinfra.run.connections import unit_region
from cmqinfra.run.session import TargetOptions


def _two_stacks(root: Path, emu: Emulator, payments_queues: str) -> None:
    write(root, {
        "cmqinfra.yaml": f"""
            version: 1
            environments:
              dev: {{endpoint: {emu.url}}}
            stacks:
              payments: {{path: stacks/payments}}
              orders: {{path: stacks/orders}}
            """,
        "stacks/payments/p.yaml": "stack: payments\nqueues:\n" + payments_queues,
        "stacks/orders/o.yaml": """
            stack: orders
            topics:
              events:
                subscriptions:
                  to-shared: {protocol: queue, endpoint: shared}
            """,
    })


def test_a_queue_another_stack_s_subscription_uses_is_not_deleted(
    tmp_path: Path, emulators: dict[str, Emulator]
) -> None:
    emu = emulators["dev"]
    _two_stacks(tmp_path, emu, "  shared: {}\n  kept: {}\n")
    code, _, err = cmq(tmp_path, "apply", "--auto-approve", "--stack", "payments")
    assert code == 0, err
    code, _, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 0, err
    _two_stacks(tmp_path, emu, "  kept: {}\n")  # payments drops the queue orders delivers to
    code, out, err = cmq(tmp_path, "plan", "--detailed-exitcode")
    assert code == 1
    assert "queue/shared is still used by subscription/events/to-shared" in out + err
    code, out, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 1 and "payments[dev]" in err and "nothing was changed" in err
    assert "shared" in queues(emu)


def test_detailed_exitcode_is_2_when_only_one_of_several_stacks_changes(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    code, _, err = cmq(repo, "apply", "--auto-approve")
    assert code == 0, err
    code, _, err = cmq(repo, "plan", "--detailed-exitcode")
    assert code == 0, err
    write(repo, {"stacks/audit/audit.yaml": "stack: audit\ntopics:\n  audit-log: {trace: true}\n"})
    code, out, err = cmq(repo, "plan", "--detailed-exitcode")
    assert code == 2, out + err
    assert "Project: 5 stack(s), 1 with changes." in out


def test_changed_since_sees_an_edit_of_a_stack_s_own_entry(repo: Path) -> None:
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    text = (repo / "cmqinfra.yaml").read_text()
    entry = "orders: {path: stacks/orders, values: {all: {hook: 'http://127.0.0.1:9/x'}}}"
    write(repo, {"cmqinfra.yaml": text.replace("orders: {path: stacks/orders}", entry)})
    code, out, err = cmq(repo, "validate", "--changed-since", "HEAD")
    assert code == 0, err
    assert [line.split(":")[1].strip() for line in out.splitlines()] == ["orders[dev]", "orders[prod]"]


def test_a_stack_s_value_for_an_environment_beats_its_value_for_all(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    text = (repo / "cmqinfra.yaml").read_text()
    write(repo, {"cmqinfra.yaml": text.replace(
        "payments: {path: stacks/payments}",
        "payments: {path: stacks/payments, values: {prod: {visibility: 77}, all: {visibility: 55}}}")})
    code, out, err = cmq(repo, "resolve", "payments", "--env", "prod")
    assert code == 0, err
    assert "visibilityTimeout: 77" in out and "visibilityTimeout: 55" not in out
    code, out, err = cmq(repo, "resolve", "payments", "--env", "dev")
    assert code == 0, err
    assert "visibilityTimeout: 55" in out


def test_an_environment_s_endpoint_beats_the_command_line_s(
    repo: Path, emulators: dict[str, Emulator], tmp_path: Path
) -> None:
    other = Emulator.start(tmp_path / "other.sqlite3", rate_limits=False)
    try:
        code, out, err = cmq(repo, "apply", "--auto-approve", "--endpoint", other.url)
        assert code == 0, out + err
        assert queues(other) == {}
        assert "payments-dev" in queues(emulators["dev"]) and "payments" in queues(emulators["prod"])
    finally:
        other.stop()


def test_a_moved_claim_is_matched_whatever_its_case(tmp_path: Path, emulators: dict[str, Emulator]) -> None:
    emu = emulators["dev"]
    write(tmp_path, {"infra/a/a.yaml": "stack: a\nqueues:\n  orders: {}\n  kept: {}\n"})
    code, _, err = cmq(tmp_path, "apply", "infra/a", "--endpoint", emu.url, "--auto-approve")
    assert code == 0, err
    write(tmp_path, {
        "infra/a/a.yaml": "stack: a\nqueues:\n  kept: {}\n",
        "infra/b/b.yaml": "stack: b\nqueues:\n  orders: {}\n"
                          "moved:\n  - {address: queue/ORDERS, fromStack: a}\n",
    })
    code, out, err = cmq(tmp_path, "plan", "infra/a", "--endpoint", emu.url, "--format", "json")
    assert code == 0, err
    actions = {c["address"]: c["change"]["actions"] for c in json.loads(out)["resource_changes"]}
    assert actions.get("queue/orders") != ["delete"], actions


def test_the_tccli_profile_named_by_tccli_profile_gives_the_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".tccli").mkdir(parents=True)
    (home / ".tccli" / "default.configure").write_text(json.dumps({"_sys_param": {"region": "ap-beijing"}}))
    (home / ".tccli" / "work.configure").write_text(json.dumps({"_sys_param": {"region": "ap-chengdu"}}))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TCCLI_PROFILE", "work")
    config = "version: 1\nenvironments:\n  prod: {}\nstacks:\n  s: {path: s}\n"
    write(tmp_path / "p", {"cmqinfra.yaml": config,
                           "s/s.yaml": "stack: s\nqueues:\n  q: {}\n"})
    [unit] = load_project(tmp_path / "p").all_units
    found = unit_region(unit, None, TargetOptions())
    assert (found.name, found.source) == ("ap-chengdu", "tccli profile work")
