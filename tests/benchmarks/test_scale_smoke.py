"""The whole benchmark at a trivial size: emulator process, apply, plan, baseline, report, plot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_scale_benchmark_runs_end_to_end_at_a_trivial_size(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/scale.py",
            "--sizes",
            "20",
            "--local-sizes",
            "10,20",
            "--rate-scale",
            "20",
            "--latency",
            "0.02",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    run = json.loads((out / "scale.json").read_text())
    (size,) = run["sizes"]
    assert size["apply"]["changes"] == 20 + 2 + 20  # queues + topics + subscriptions, from empty
    assert size["plan"]["changes"] == 0  # apply then plan converges
    # the no-change plan lists; it never reads resources one by one
    assert "DescribeCmqQueueDetail" not in size["plan"]["calls"]
    assert sum(size["plan"]["calls"].values()) < sum(size["baseline"]["calls"].values())
    assert size["apply"]["calls"].get("CreateCmqQueue", 0) >= 20
    assert [p["queues"] for p in run["local"]] == [10, 20]
    assert (out / "scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (out / "scale.md").read_text()
    assert "| 20/2/20 | plan (no changes) |" in table
    assert "PASS" in table or "FAIL" in table or "NOT RUN" in table
