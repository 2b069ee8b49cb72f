"""Shell completion: the scripts and click's ``_CMQINFRA_COMPLETE`` protocol, end to end."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "cmqinfra", *args], capture_output=True, text=True, env=full_env
    )


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F"), ("zsh", "#compdef cmqinfra"), ("fish", "complete --no-files")],
)
def test_script_for_each_shell_drives_the_cmqinfra_program(shell: str, marker: str) -> None:
    result = run(["completion", shell])
    assert result.returncode == 0, result.stderr
    assert "_CMQINFRA_COMPLETE" in result.stdout
    assert marker in result.stdout
    assert "cmqinfra" in result.stdout


def test_unknown_shell_is_exit_1() -> None:
    result = run(["completion", "tcsh"])
    assert result.returncode == 1
    assert "tcsh" in result.stderr


def test_bash_protocol_completes_a_partial_command() -> None:
    result = run([], env={"_CMQINFRA_COMPLETE": "bash_complete", "COMP_WORDS": "cmqinfra comp",
                          "COMP_CWORD": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["plain,completion"]


def documented_commands() -> set[str]:
    """The commands of the README's command table (``| `cmqinfra NAME ...` | ...``)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `cmqinfra ([a-z][a-z-]*)", readme, flags=re.MULTILINE))


def test_zsh_protocol_lists_every_command_for_an_empty_word() -> None:
    result = run([], env={"_CMQINFRA_COMPLETE": "zsh_complete", "COMP_WORDS": "cmqinfra ",
                          "COMP_CWORD": "1"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # zsh protocol: type, value, help, repeated
    values = set(lines[1::3])
    assert values == documented_commands()


def test_fish_protocol_completes_the_shell_argument() -> None:
    result = run([], env={"_CMQINFRA_COMPLETE": "fish_complete", "COMP_WORDS": "cmqinfra completion z",
                          "COMP_CWORD": "z"})
    assert result.returncode == 0, result.stderr
    assert "plain,zsh" in result.stdout
