"""benchmarks/dataplane.py at a trivial length: both servers start, every row is measured for both,
each target is judged, and the table is written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_dataplane_benchmark_measures_both_servers(tmp_path: Path) -> None:
    pytest.importorskip("moto", reason="moto[server] is in the bench extra: pip install -e '.[test,bench]'")
    pytest.importorskip("boto3", reason="boto3 is in the bench extra: pip install -e '.[test,bench]'")
    out = tmp_path / "dataplane.md"
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/dataplane.py",
            "--seconds",
            "0.3",
            "--wake-samples",
            "3",
            "--out",
            str(out),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]
    rows = [line for line in out.read_text(encoding="utf-8").splitlines() if line.startswith("| send/")]
    assert len(rows) == 4
    for row in rows:
        numbers = [float(n.replace(",", "")) for n in re.findall(r"([\d,.]+) msg/s", row)]
        assert len(numbers) == 2 and all(n > 0 for n in numbers), row
        assert row.endswith("| PASS |") == (numbers[0] >= numbers[1]), row
    wake = [line for line in out.read_text(encoding="utf-8").splitlines() if "wake-up p99" in line]
    assert len(wake) == 1
    p99 = float(re.findall(r"([\d.]+) ms", wake[0])[0])
    assert wake[0].endswith("| PASS |") == (p99 < 50), wake[0]
    verdict = "PASS" if done.returncode == 0 else "FAIL"
    assert f"\n{verdict}: " in done.stdout
