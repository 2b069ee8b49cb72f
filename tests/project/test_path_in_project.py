"""A PATH that is a project's stack is refused with the flags that plan it, and a ``${...}`` that
nothing resolves is an error at its line, whatever the mode: never a literal in a plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cmq, queues, write

from cmqinfra.emulator import Emulator

COMMANDS = [("validate",), ("plan", "--local"), ("apply", "--local", "--auto-approve"),
            ("destroy", "--local", "--auto-approve")]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_stack_path_of_a_project_is_refused_with_its_flags(repo: Path,
                                                            command: tuple[str, ...]) -> None:
    code, out, err = cmq(repo, command[0], "stacks/audit", *command[1:])
    assert code == 1 and out == ""
    assert err == ("error: stacks/audit belongs to the project in cmqinfra.yaml; use --stack audit "
                   "--env prod (a stack of a project is planned with its environment's variables, names, "
                   "region and endpoint)\n")
    assert not (repo / ".cmqinfra").exists()  # refused before any emulator was started


def test_a_file_of_a_stack_from_another_directory_names_the_project(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    code, _, err = cmq(repo / "stacks", "plan", "payments/refunds.yaml", "--endpoint", emulators["dev"].url)
    assert code == 1
    assert ("error: payments/refunds.yaml belongs to the project in ../cmqinfra.yaml; use --stack payments "
            "--env dev|prod --project .. (") in err
    assert queues(emulators["dev"]) == {}


def test_an_unresolved_reference_in_a_path_is_an_error_at_its_line(
    tmp_path: Path, emulators: dict[str, Emulator]
) -> None:
    write(tmp_path, {"alone.yaml": """
        stack: alone
        queues:
          q:
            tags: {env: "${env.name}", literal: "$${kept}"}
            visibilityTimeout: "${var.visibility}"
        """})
    expected = [
        "alone.yaml:4:17: error: ${env.name} is not resolved here: variables exist only for the stacks of a "
        "project (hint: plan the stack in its project (cmqinfra.yaml) with --stack NAME --env ENV)",
        "alone.yaml:5:24: error: ${var.visibility} is not resolved here: variables exist only for the "
        "stacks of a project (hint: plan the stack in its project (cmqinfra.yaml) with --stack NAME "
        "--env ENV)",
    ]
    code, out, err = cmq(tmp_path, "validate", "alone.yaml")
    assert code == 1 and err.splitlines()[:2] == expected
    code, out, err = cmq(tmp_path, "plan", "alone.yaml", "--endpoint", emulators["dev"].url)
    assert code == 1 and err.splitlines()[:2] == expected and "will be created" not in out
    assert queues(emulators["dev"]) == {}


def test_an_unresolved_reference_in_a_discovered_stack_is_an_error_at_its_line(
    tmp_path: Path, emulators: dict[str, Emulator]
) -> None:
    write(tmp_path, {
        "infra/a/a.yaml": "stack: a\nqueues:\n  \"${var.name}-q\": {}\n",
        "infra/b/b.yaml": "stack: b\nqueues:\n  b: {}\n",
    })
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1
    assert ("infra/a/a.yaml:3:3: error: ${var.name} is not resolved here: variables exist only for the "
            "stacks of a project (hint: declare the stack and its variables in cmqinfra.yaml to use "
            "variables)") in err
    assert "ok: infra/b: 1 queue" in out
    code, out, err = cmq(tmp_path, "plan", "--endpoint", emulators["dev"].url)
    assert code == 1 and "${var.name}-q" not in out
