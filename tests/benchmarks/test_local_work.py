"""The local-work measurement: a worker's peak RSS is its own, and the before/after comparison runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks import local_ab
from benchmarks.workload import Workload, write_manifests

REPO = Path(__file__).resolve().parents[2]
HELD_MB = 160  # far above what the local work at 20 queues needs


def test_a_workers_peak_rss_is_not_its_parents(tmp_path: Path) -> None:
    manifests = write_manifests(Workload.of_size(20), tmp_path / "m")
    held = bytearray(HELD_MB * 1024 * 1024)
    held[:: 4096] = b"\x01" * len(held[:: 4096])  # touched: resident in this (the parent) process
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.worker", "local", str(manifests)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert 5 < result["peak_rss_mb"] < HELD_MB / 2, result["peak_rss_mb"]
    assert result["changes"] == 0 and set(result["cpu"]) == {"load", "diff", "render"}
    del held


def test_before_and_after_are_measured_side_by_side(capsys) -> None:
    assert local_ab.main(["--before", "HEAD", "--queues", "20", "--runs", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("local work at 20/2/20 (load, diff, render), 1 fresh processes each")
    assert [line.split()[0] for line in lines[1:]] == ["before", "after"]
    assert all("CPU min" in line and "load " in line and "peak RSS" in line for line in lines[1:])
