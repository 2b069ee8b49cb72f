"""Reading the cmqinfra command lines out of the CI recipes, so tests run exactly those."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
GITHUB = ROOT / "examples" / "ci" / "github-actions.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"
DRIFT = ROOT / "examples" / "ci" / "github-drift.yml"
SCRIPTS = ROOT / "examples" / "ci" / "scripts" / "cmqinfra_ci.py"
PRE_COMMIT = ROOT / ".pre-commit-hooks.yaml"


@dataclass(frozen=True)
class RecipeCommand:
    job: str
    args: tuple[str, ...]  # after "cmqinfra"
    stdout_to: str | None  # "> FILE" redirection, if any


def _shell_lines(recipe: Path) -> list[tuple[str, str]]:
    """(job, shell text) for every step of every job, in file order."""
    doc: dict[str, Any] = yaml.safe_load(recipe.read_text())
    out: list[tuple[str, str]] = []
    if "jobs" in doc:  # GitHub Actions
        for job, spec in doc["jobs"].items():
            out.extend((job, step["run"]) for step in spec.get("steps", []) if "run" in step)
    else:  # GitLab CI: every mapping with a script is a job
        for job, spec in doc.items():
            if isinstance(spec, dict) and "script" in spec:
                out.extend((job, line) for line in spec["script"])
    return out


def cmqinfra_commands(recipe: Path) -> list[RecipeCommand]:
    commands: list[RecipeCommand] = []
    for job, text in _shell_lines(recipe):
        for line in text.splitlines():
            if not line.strip().startswith("cmqinfra "):
                continue
            words = shlex.split(line, comments=True)
            args: list[str] = []
            stdout_to = None
            rest = iter(words[1:])
            for word in rest:
                if word == ">":
                    stdout_to = next(rest)
                elif word in ("|", "||", "&&", ";"):
                    break
                else:
                    args.append(word)
            commands.append(RecipeCommand(job, tuple(args), stdout_to))
    return commands
