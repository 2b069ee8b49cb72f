"""examples/app's own test suites, run as its team would run them: from its directory, with the
plugin that the installed cmqinfra registers (no conftest) and with unittest on local_cmq."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "examples" / "app"


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    copy = tmp_path / "app"
    if not copy.exists():
        shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("__pycache__", "*.log"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",) and "proxy" not in k.lower()}
    return subprocess.run(
        [sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_example_s_pytest_suite_passes_on_the_plugin(tmp_path: Path) -> None:
    done = _run(tmp_path, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 passed" in done.stdout


def test_the_example_s_unittest_suite_passes_on_local_cmq(tmp_path: Path) -> None:
    done = _run(tmp_path, "-m", "unittest", "discover", "-s", "tests_unittest")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ran 3 tests" in done.stderr
