"""Running the real ``cmqinfra`` command as a user's CI would: a subprocess with env credentials."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# Distinctive values, so a leak anywhere is found by a plain substring search.
SECRET_ID = "AKIDreliabilityTESTID01"
SECRET_KEY = "rel-SeCrEtKeY-9f4c2b7e1d"
SESSION_TOKEN = "rel-SeSsIoNtOkEn-5a8e3c0f"

ADDRESS = re.compile(r"\b(?:queue|topic)/[A-Za-z][\w-]*|\bsubscription/[A-Za-z][\w-]*/[A-Za-z][\w-]*")


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        head = f"cmqinfra {' '.join(self.args)} -> exit {self.code} in {self.seconds:.1f}s"
        return f"{head}\n{self.output[-3000:]}"


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update(
        TENCENTCLOUD_SECRET_ID=SECRET_ID,
        TENCENTCLOUD_SECRET_KEY=SECRET_KEY,
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
    )
    env.pop("TENCENTCLOUD_SESSION_TOKEN", None)
    env.update(extra or {})
    return env


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "cmqinfra", *args]


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 90
) -> Run:
    start = time.monotonic()
    proc = subprocess.run(
        command(*args),
        cwd=cwd,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(tuple(args), proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def popen_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(*args),
        cwd=cwd,
        env=env or cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so a signal reaches only the apply, never pytest
    )


def assert_clean_exit(run: Run, allowed: tuple[int, ...] = (0, 1)) -> None:
    """Whatever happened, the user got an exit code from the contract and no traceback."""
    assert run.code in allowed, run.describe()
    assert "Traceback (most recent call last)" not in run.output, run.describe()
