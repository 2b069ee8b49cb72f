"""The whole benchmark at a trivial size: emulator process, apply, plan, baseline, report, plot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def run_benchmark(out: Path, *extra: str, size: int = 20) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            "benchmarks/scale.py",
            "--sizes",
            str(size),
            "--local-sizes",
            f"10,{size}",
            "--local-runs",
            "2",
            "--rate-scale",
            "20",
            "--latency",
            "0.02",
            "--out",
            str(out),
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads((out / "scale.json").read_text())
    return result


def time_targets(run: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in run["targets"] if "judged at the real limits" in t["name"]]


def measured_below_bound(run: dict[str, Any]) -> list[str]:
    """Every measured time of the run (wall and API part, plan and apply, every scale; the
    baseline's) below the lower bound the benchmark put beside it."""
    beaten = []
    rows = run["sizes"] + run["real_limits"] + run["large_apply"] + run["targeted"] + run["project"]
    for row in rows:
        for command in ("apply", "plan"):
            timed = row[command]
            if timed is None:
                continue
            for key in ("seconds", "network_seconds"):
                if timed[key] < timed["bound_seconds"]:
                    beaten.append(f"{row['label']} {command} x{row['rate_scale']}: {key} {timed[key]}")
        base = row["baseline"]
        if base is not None and base["seconds"] < base["bound_seconds"]:
            beaten.append(f"{row['label']} baseline x{row['rate_scale']}: {base['seconds']}")
    return beaten


def test_scale_benchmark_runs_end_to_end_at_a_trivial_size(tmp_path: Path) -> None:
    out = tmp_path / "results"
    run = run_benchmark(out, "--no-real-limits")
    (size,) = run["sizes"]
    assert size["rate_scale"] == 20
    assert size["apply"]["changes"] == 20 + 2 + 20  # queues + topics + subscriptions, from empty
    assert size["plan"]["changes"] == 0  # apply then plan converges
    # the no-change plan lists; it never reads resources one by one
    assert "DescribeCmqQueueDetail" not in size["plan"]["calls"]
    assert sum(size["plan"]["calls"].values()) < sum(size["baseline"]["calls"].values())
    assert size["apply"]["calls"].get("CreateCmqQueue", 0) >= 20
    assert [p["queues"] for p in run["local"]] == [10, 20]
    # skipped runs at the real limits: the time targets are not judged, nothing ran at scale 1
    assert run["real_limits_skipped"] and run["real_limits"] == []
    assert [t["passed"] for t in time_targets(run)] == [None, None, None]
    assert measured_below_bound(run) == []
    assert size["baseline"]["bound_seconds"] > 0
    assert (out / "scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = (out / "scale.md").read_text()
    assert "| 20/2/20 | plan (no changes) | 20 |" in table
    assert "NOT JUDGED" in table and "--no-real-limits" in table


def test_time_targets_are_measured_again_at_the_real_limits(tmp_path: Path) -> None:
    """The target sizes pointed at the one size run: the plan restarts the emulator at rate scale 1
    on the data the scaled apply filled, the apply runs on a fresh file. At 100 queues the apply at
    the real limits needs 4 windows of creates, enough for a wrong bound to show: the old
    level-by-level figure (8.1 s) is beaten by the executor, the pipelined bound (4.06 s) is not."""
    out = tmp_path / "results"
    run = run_benchmark(
        out,
        "--plan-target-size",
        "100",
        "--apply-target-size",
        "100",
        "--large-apply-size",
        "100",
        "--targeted-size",
        "100",
        "--project-stacks",
        "2",
        "--project-stack-size",
        "20",
        "--no-baseline",
        size=100,
    )
    (real,) = run["real_limits"]
    assert real["rate_scale"] == 1
    assert real["plan"]["changes"] == 0  # the account the scaled apply filled: nothing to create
    assert real["apply"]["changes"] == 100 + 10 + 100  # a fresh account
    assert measured_below_bound(run) == []
    assert real["apply"]["bound_seconds"] > 4.0
    plan, apply, large = time_targets(run)
    assert "real limits" in plan["name"]
    assert f"{real['plan']['seconds']:.2f}s" in plan["detail"]
    assert f"{real['apply']['seconds']:.2f}s" in apply["detail"]
    # the large apply at the real limits is the apply target's own run, judged on its wall time
    assert f"{real['apply']['seconds']:.2f}s" in large["detail"]
    for target in (plan, apply, large):
        assert "load average" in target["detail"]
        # judged unless it missed above the stated load (a target met under a load is met)
        assert (target["passed"] is None) == target["detail"].startswith("not judged: load average")
        assert target["passed"] is not False or "not judged" not in target["detail"]
    bounds = next(t for t in run["targets"] if t["name"] == "no measured time below its lower bound")
    assert bounds["passed"] is True
    # the targeted plan and the project ran at the real limits, their calls counted
    (targeted,) = run["targeted"]
    assert targeted["plan"]["calls"] == {"DescribeCmqQueues": 1}
    (project,) = run["project"]
    assert project["plan"]["changes"] == 0
    # 2 stacks x (1 queue page + 1 topic page + 2 listings), and the account's untagged ones
    # counted once for both stacks (one account): two one-item pages a kind; the bound likewise
    expected = {
        "DescribeCmqQueues": 2 * 1 + 2,
        "DescribeCmqTopics": 2 * 1 + 2,
        "DescribeCmqSubscriptionDetail": 2 * 2,
    }
    assert project["plan"]["calls"] == expected
    assert project["plan"]["bound_calls"] == expected
    assert (run["large_apply"][0]["rate_scale"], run["large_apply"][0]["apply"]["changes"]) == (1, 210)
    table = (out / "scale.md").read_text()
    assert "| 100/10/100 | plan (no changes) | 1 (real limits) |" in table
    assert "| 100/10/100 | apply (from empty) | 20 |" in table


def test_the_local_work_alone_runs_without_the_emulator() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/scale.py", "--local-only"]
        + ["--local-sizes", "10,20", "--local-runs", "3"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| 20/2/20 |" in done.stdout and "(3) |" in done.stdout  # the spread of 3 processes
    assert "local work at 10,000/1,000/10,000: size not in this run" in done.stdout
    assert "local work grows linearly" in done.stdout
