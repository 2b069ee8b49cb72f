"""The README's tour, run command by command exactly as printed, in a fresh directory."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# What each step of the tour says it does, checked on its output (stdout + stderr).
EXPECTED = {
    "validate": (0, "ok: order-events: 3 queues, 1 topic, 3 subscriptions"),
    "plan": (0, "Plan: 7 to add, 0 to change, 0 to destroy."),
    "plan --out": (0, "cmqinfra apply --plan tour.plan"),
    "show": (0, "Plan: 7 to add, 0 to change, 0 to destroy."),
    "apply --plan": (0, "Apply complete! Resources: 7 added, 0 changed, 0 destroyed."),
    "plan --detailed-exitcode": (0, "No changes. Live state matches the manifest"),
    "destroy": (0, "Destroy complete! Resources: 0 added, 0 changed, 7 destroyed."),
}


def tour_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^## A tour\n\n```sh\n(.*?)^```", readme, re.S | re.M)
    assert block is not None, "README.md has no tour block"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def kind(argv: list[str]) -> str:
    command = argv[1]
    for flag in ("--out", "--plan", "--detailed-exitcode"):
        if flag in argv:
            return f"{command} {flag}"
    return command


def test_the_tour_runs_as_printed(tmp_path: Path) -> None:
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    cmqinfra = Path(sys.executable).parent / "cmqinfra"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENTCLOUD_", "TCCLI_"))}
    env.update(HOME=str(tmp_path), NO_COLOR="1")
    commands = tour_commands()
    assert [kind(shlex.split(c)) for c in commands] == list(EXPECTED)
    for line in commands:
        argv = shlex.split(line)
        assert argv[0] == "cmqinfra"
        proc = subprocess.run(
            [str(cmqinfra), *argv[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        code, phrase = EXPECTED[kind(argv)]
        output = proc.stdout + proc.stderr
        assert proc.returncode == code, f"{line}\n{output}"
        assert phrase in output, f"{line}\n{output}"
        assert "Traceback" not in output
