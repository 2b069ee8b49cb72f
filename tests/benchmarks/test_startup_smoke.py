"""benchmarks/startup.py and benchmarks/localcmq.py at trivial sizes: every figure is measured,
each beside its peer, and each verdict follows the stated rule (judged unless missed above the
stated load)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(script: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, f"benchmarks/{script}", "--out", str(out), *extra],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )


def test_startup_benchmark_measures_every_command_beside_its_peer(tmp_path: Path) -> None:
    done = run("startup.py", tmp_path, "--runs", "1")
    assert done.returncode in (0, 1), done.stderr[-3000:]
    doc = json.loads((tmp_path / "startup.json").read_text())
    figures = doc["figures"]
    assert set(figures) == {"python", "version", "help", "validate", "check-jsonschema", "plan-local"}
    assert all(f["cpu"] > 0 and f["peak_rss_mb"] > 0 for f in figures.values())
    share = next(t for t in doc["targets"] if "check-jsonschema" in t["name"])
    assert share["passed"] == (figures["validate"]["cpu"] <= 0.5 * figures["check-jsonschema"]["cpu"])
    for target in doc["targets"]:
        if target["passed"] is None:
            assert target["detail"].startswith("not judged: load average")
    assert (done.returncode == 0) == all(t["passed"] is not False for t in doc["targets"])
    assert "| `check-jsonschema` |" in (tmp_path / "startup.md").read_text()


def test_flow_test_benchmark_runs_every_test(tmp_path: Path) -> None:
    done = run("localcmq.py", tmp_path, "--tests", "6")
    assert done.returncode in (0, 1), done.stderr[-3000:]
    flow, reset, *suites = json.loads((tmp_path / "localcmq.json").read_text())
    passed = re.search(r"(\d+) passed, 0 failed", flow["detail"])
    assert passed is not None and int(passed.group(1)) >= 6 and flow["value"] > 0
    assert flow["target"] == 2.0 * 6 / 100
    assert reset["unit"] == "ms" and reset["value"] > 0 and "over 200 resets" in reset["detail"]
    assert [s["name"] for s in suites] == [
        "6 plugin tests, one message each, each applying the stack itself",
        "6 plugin tests, one message each, the stack named in pytest.ini",
    ]
    for suite in suites:
        assert suite["value"] > 0 and "6 passed" in suite["detail"] and suite["target"] == 3.0 * 6 / 100
