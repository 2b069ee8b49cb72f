"""G6: the guards (docs/security.md): the environment's account before any call, destroy's
approval, a delete the service refuses, and --changed-since that cannot be an option to git."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator
from tests.project.helpers import cmq, git, write

STACK = "stack: shop\nqueues:\n  orders: {}\n"


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    emulator = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False, account_id="100000000001")
    yield emulator
    emulator.stop()


def _repo(root: Path, emu: Emulator, accounts: str) -> Path:
    write(root, {"cmqinfra.yaml": f"environments:\n  prod:\n    endpoint: {emu.url}\n{accounts}"
                                  "stacks:\n  shop: {path: shop}\n",
                 "shop/shop.yaml": STACK})
    return root


@pytest.mark.parametrize("command", [("plan",), ("apply", "--auto-approve")])
def test_credentials_of_another_account_are_refused_before_any_other_call(
        tmp_path: Path, emu: Emulator, command: tuple[str, ...]) -> None:
    repo = _repo(tmp_path / "repo", emu, '    account: "200000000002"\n')
    code, out, err = cmq(repo, *command)
    assert code == 1
    assert ("environment prod is for account 200000000002, and these credentials belong to account "
            "100000000001; nothing was read or changed") in err
    assert emu.call_counts() == {"GetCallerIdentity": 1}


def test_an_allowed_account_may_be_used(tmp_path: Path, emu: Emulator) -> None:
    accounts = '    account: "200000000002"\n    allowedAccounts: ["100000000001"]\n'
    repo = _repo(tmp_path / "repo", emu, accounts)
    code, out, err = cmq(repo, "apply", "--auto-approve")
    assert code == 0, err
    assert emu.call_counts()["GetCallerIdentity"] >= 1 and emu.call_counts()["CreateCmqQueue"] == 1


def test_the_embedded_local_emulator_is_no_account(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    config = 'environments:\n  prod: {account: "200000000002"}\nstacks:\n  shop: {path: shop}\n'
    write(repo, {"cmqinfra.yaml": config, "shop/shop.yaml": STACK})
    code, out, err = cmq(repo, "plan", "--local")
    assert code == 0, err


# -------------------------------------------------------------------- destroy asks


def _applied_stack(tmp_path: Path, emu: Emulator) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(STACK)
    assert cmq(tmp_path, "apply", str(path), "--endpoint", emu.url, "--auto-approve")[0] == 0
    return path


def test_destroy_without_a_terminal_refuses_unless_auto_approved(tmp_path: Path, emu: Emulator) -> None:
    path = _applied_stack(tmp_path, emu)
    code, out, err = cmq(tmp_path, "destroy", str(path), "--endpoint", emu.url)
    assert code == 1
    assert "refusing to destroy these resources without --auto-approve: no terminal to confirm on" in err
    assert "DeleteCmqQueue" not in emu.call_counts()
    code, out, err = cmq(tmp_path, "destroy", str(path), "--endpoint", emu.url, "--auto-approve")
    assert code == 0, err
    assert emu.call_counts()["DeleteCmqQueue"] == 1


@pytest.mark.parametrize(("answer", "deleted"), [("no", 0), ("", 0), ("yes", 1)])
def test_destroy_at_a_terminal_deletes_only_after_yes(
        tmp_path: Path, emu: Emulator, monkeypatch: pytest.MonkeyPatch, answer: str, deleted: int) -> None:
    import click

    from cmqinfra.run import session

    path = _applied_stack(tmp_path, emu)
    asked: list[str] = []
    monkeypatch.setattr(session, "interactive", lambda: True)
    monkeypatch.setattr(click, "prompt", lambda *a, **k: asked.append("asked") or answer)
    code, out, err = cmq(tmp_path, "destroy", str(path), "--endpoint", emu.url)
    assert asked == ["asked"]
    assert "Do you want to destroy these resources? Only 'yes' will be accepted." in out
    assert (code == 0) == bool(deleted)
    assert emu.call_counts().get("DeleteCmqQueue", 0) == deleted


# -------------------------------------------------------------------- a refused delete fails


def test_a_delete_the_service_refuses_is_a_failure_in_the_report_and_the_exit_code(
        tmp_path: Path, emu: Emulator) -> None:
    from cmqinfra.emulator import Faults

    path = _applied_stack(tmp_path, emu)
    path.write_text("stack: shop\nqueues: {}\n")
    emu.faults = Faults(internal_error_rate=1.0, actions=frozenset({"DeleteCmqQueue"}))
    code, out, err = cmq(tmp_path, "apply", str(path), "--endpoint", emu.url, "--auto-approve")
    assert code == 1
    assert "failed:      queue/orders (delete)" in err and "InternalError" in err
    assert "Apply complete" not in out
    emu.faults = Faults()
    code, out, err = cmq(tmp_path, "apply", str(path), "--endpoint", emu.url, "--auto-approve")
    assert code == 0, err  # and the next run converges


# -------------------------------------------------------------------- --changed-since


@pytest.mark.parametrize("ref", ["--output=/tmp/cmqinfra-pwned", "-p", "--octopus"])
def test_changed_since_refuses_what_git_would_read_as_an_option(
        tmp_path: Path, emu: Emulator, ref: str) -> None:
    repo = _repo(tmp_path / "repo", emu, "")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "infra")
    for command in ("plan", "validate"):
        code, out, err = cmq(repo, command, "--changed-since", ref)
        assert code == 1
        assert f"--changed-since {ref!r}: a git ref does not start with '-'" in err
    assert not Path("/tmp/cmqinfra-pwned").exists()
    assert emu.call_counts() == {}


def test_destroy_of_a_project_without_a_terminal_refuses_unless_auto_approved(
        tmp_path: Path, emu: Emulator) -> None:
    repo = _repo(tmp_path / "repo", emu, "")
    assert cmq(repo, "apply", "--auto-approve")[0] == 0
    code, out, err = cmq(repo, "destroy")
    assert code == 1
    assert "without --auto-approve: no terminal to confirm on" in err
    assert "DeleteCmqQueue" not in emu.call_counts()
    code, out, err = cmq(repo, "destroy", "--auto-approve")
    assert code == 0, err
    assert emu.call_counts()["DeleteCmqQueue"] == 1
