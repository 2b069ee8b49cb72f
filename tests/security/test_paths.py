"""G2: no file outside the project is read (docs/security.md). A file outside the repository holds
a marker; the pull request points at it every way it can; no byte of it appears in any output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator
from tests.project.helpers import cmq, write

MARKER = "OUTSIDE-SECRET-7f3a9c"
FORMATS = [(), ("--format", "markdown"), ("--format", "json")]


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """Outside the repository: a value file whose values would fail the types (and so be printed),
    and a manifest whose tag would be printed by the plan."""
    out = tmp_path / "outside"
    write(out, {
        "secret.yaml": f"visibility: {MARKER}\n",
        "stack/leak.yaml": f"stack: shop\nqueues:\n  leak: {{tags: {{leak: {MARKER}}}}}\n",
    })
    return out


def _config(endpoint: str, value_file: str = "env/prod.yaml", stack_path: str = "shop") -> str:
    return f"""
        variables:
          visibility: {{type: integer, default: 30}}
        environments:
          prod:
            endpoint: {endpoint}
            valueFiles: [{value_file}]
        stacks:
          shop: {{path: {stack_path}}}
        """


def _repo(root: Path, endpoint: str, **kw: str) -> Path:
    write(root, {
        "cmqinfra.yaml": _config(endpoint, **kw),
        "env/prod.yaml": "visibility: 60\n",
        "shop/shop.yaml": 'stack: shop\nqueues:\n  orders: {visibilityTimeout: "${var.visibility}"}\n',
    })
    return root


def _run_all(repo: Path, endpoint: str) -> tuple[int, str]:
    """validate and plan in every format: every exit code and everything printed."""
    codes, shown = [], ""
    commands = (("validate",), *(("plan", *f) for f in FORMATS), *(("validate", *f) for f in FORMATS[1:]))
    for command in commands:
        code, out, err = cmq(repo, *command)
        codes.append(code)
        shown += out + err
    return max(codes), shown


@pytest.fixture
def emulator_url(tmp_path: Path) -> object:
    emu = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False)
    yield emu.url
    emu.stop()


@pytest.mark.parametrize("how", ["absolute", "dotdot", "link"])
def test_a_value_file_outside_the_project_is_refused_at_its_line(
        tmp_path: Path, outside: Path, emulator_url: str, how: str) -> None:
    repo = tmp_path / "repo"
    if how == "absolute":
        _repo(repo, emulator_url, value_file=str(outside / "secret.yaml"))
    elif how == "dotdot":
        _repo(repo, emulator_url, value_file="../outside/secret.yaml")
    else:
        _repo(repo, emulator_url, value_file="env/linked.yaml")
        os.symlink(outside / "secret.yaml", repo / "env/linked.yaml")
    code, shown = _run_all(repo, emulator_url)
    assert code == 1
    assert "cmqinfra.yaml:6:18: error: value file" in shown
    assert "is outside the project root (after following links)" in shown
    assert MARKER not in shown


@pytest.mark.parametrize("how", ["dotdot", "link"])
def test_a_stack_path_outside_the_project_is_refused(tmp_path: Path, outside: Path, emulator_url: str,
                                                     how: str) -> None:
    repo = tmp_path / "repo"
    if how == "dotdot":
        _repo(repo, emulator_url, stack_path="../outside/stack")
    else:
        _repo(repo, emulator_url, stack_path="linked")
        os.symlink(outside / "stack", repo / "linked")
    code, shown = _run_all(repo, emulator_url)
    assert code == 1
    assert "cmqinfra.yaml:8:16: error: stack \"shop\": path" in shown
    assert MARKER not in shown


def test_a_linked_manifest_in_a_stack_directory_is_not_read(tmp_path: Path, outside: Path,
                                                             emulator_url: str) -> None:
    repo = _repo(tmp_path / "repo", emulator_url)
    os.symlink(outside / "stack/leak.yaml", repo / "shop/leak.yaml")
    code, shown = _run_all(repo, emulator_url)
    assert code == 1
    assert "shop/leak.yaml:1:1: error: manifest 'shop/leak.yaml' is outside the project root" in shown
    assert MARKER not in shown


def test_a_discovered_project_does_not_follow_a_linked_manifest(tmp_path: Path, outside: Path,
                                                                emulator_url: str) -> None:
    repo = tmp_path / "repo"
    write(repo, {"shop/shop.yaml": "stack: shop\nqueues:\n  orders: {}\n"})
    os.symlink(outside / "stack/leak.yaml", repo / "shop/leak.yaml")
    shown = ""
    for fmt in FORMATS:
        code, out, err = cmq(repo, "plan", "--endpoint", emulator_url, *fmt)
        assert code == 1
        shown += out + err
    assert "is outside the project root" in shown and MARKER not in shown


def test_a_linked_project_file_is_not_read(tmp_path: Path, outside: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (outside / "cmqinfra.yaml").write_text(f"stacks:\n  {MARKER}: {{path: x}}\n")
    os.symlink(outside / "cmqinfra.yaml", repo / "cmqinfra.yaml")
    code, out, err = cmq(repo, "validate")
    assert code == 1
    assert "is outside the project root" in out + err and MARKER not in out + err


def test_a_flow_test_naming_a_manifest_outside_is_refused(tmp_path: Path, outside: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)  # a checkout: the root its tests are held to
    write(repo, {"shop/shop.cmqtest.yaml": """
        manifests: [../../outside/stack/leak.yaml]
        tests:
          - name: leak
            steps:
              - send: {queue: leak, message: hi}
        """})
    code, out, err = cmq(repo, "test")
    assert code == 1
    assert "shop.cmqtest.yaml:1:13: error: manifest '../../outside/stack/leak.yaml' is outside" in out + err
    assert MARKER not in out + err
