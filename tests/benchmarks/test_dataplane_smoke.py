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
    lines = out.read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if line.startswith("| send/")]
    assert len(rows) == 4
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        emulator, emulator_cpu, client_cpu, moto, moto_cpu = (
            float(re.sub(r"[^\d.]", "", c)) for c in cells[1:6]
        )
        assert min(emulator, moto, emulator_cpu, client_cpu, moto_cpu) > 0, row
        floor, target_text, result, load = cells[7], cells[8], cells[9], float(cells[10])
        share = r"\d+% of the [\d,]+ us per msg" if "1 consumer |" in row else r"[\d.]+ cores"
        assert re.fullmatch(rf"[\d,]+ msg/s, \d+ us/msg = {share} at [\d,]+ msg/s", floor), row
        if emulator < moto:
            assert result.startswith("FAIL (behind moto)"), row
        elif "1,500 msg/s" in target_text or "20,000 msg/s" in target_text:
            target = float(re.sub(r"[^\d]", "", target_text.split(" msg/s")[0]))
            if emulator >= target:
                assert result.startswith("PASS"), row  # met under any load
            else:
                assert result.startswith(_missed(load)), row
        else:
            assert result.startswith("PASS (ahead of moto)"), row
    (wake,) = [line for line in lines if "wake-up p99" in line]
    p99, moto_p99 = (float(n) for n in re.findall(r"([\d.]+) ms", wake)[:2])
    if p99 > moto_p99:
        assert "| FAIL (behind moto) |" in wake
    elif p99 <= 2.0:
        assert "| PASS" in wake
    else:
        assert any(f"| {word}" in wake for word in _missed(float(wake.rstrip("| ").rsplit("|", 1)[1])))
    (ready,) = [line for line in lines if line.startswith("| ready after start")]
    assert re.search(r"\| [\d.]+ s \|", ready)
    verdict = "PASS" if done.returncode == 0 else "FAIL"
    assert f"\n{verdict}: " in done.stdout


def _missed(load: float) -> tuple[str, ...]:
    """The verdict of a missed target at ``load`` as printed (one decimal): not judged above 2,
    failed at or below; a load printed as 2.0 may have been either side of it."""
    if abs(load - 2.0) < 0.05:
        return ("NOT JUDGED", "FAIL")
    return ("NOT JUDGED",) if load > 2.0 else ("FAIL",)
