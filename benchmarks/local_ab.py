"""The local work at one size, this checkout against another revision, side by side in one run.

    python benchmarks/local_ab.py --before REV [--queues 10000] [--runs 7]

Writes the workload's manifests once (this checkout's generator), exports REV with ``git archive``
into a temporary directory, then runs ``benchmarks.worker``'s ``local`` measurement (load, diff,
render: no network) in fresh processes, alternating the two trees run by run, so both see the same
load on the machine. Prints, per tree, the minimum and median CPU of the whole local work, each
phase's minimum, and the largest peak RSS. The peak is read from each process's own high-water
mark (``VmHWM``), the same for both trees whatever the revision's worker reports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(REPO))

from benchmarks.workload import Workload, write_manifests  # noqa: E402

# Run in each tree's own directory, so its own cmqinfra and benchmarks are imported.
_PROBE = """
import dataclasses, json, sys
from pathlib import Path
from benchmarks import worker
m = worker.measure("local", Path(sys.argv[1]), None, 10, 1.0)
with open("/proc/self/status") as status:
    m.peak_rss_mb = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:")) / 1024
print(json.dumps(dataclasses.asdict(m)))
"""


def measure(tree: Path, manifests: Path) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(manifests)], cwd=tree, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"the local work in {tree} failed:\n{done.stderr[-2000:]}")
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[type-arg]
    return result


def summary(name: str, rows: list[dict]) -> str:  # type: ignore[type-arg]
    totals = sorted(sum(r["cpu"].values()) for r in rows)
    phases = " ".join(f"{k} {min(r['cpu'][k] for r in rows):.3f}" for k in sorted(rows[0]["cpu"]))
    return (
        f"{name:<8} CPU min {totals[0]:.3f} s, median {statistics.median(totals):.3f} s "
        f"(phases, min: {phases}); peak RSS {max(r['peak_rss_mb'] for r in rows):.1f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the git revision to compare with")
    parser.add_argument("--queues", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="cmqinfra-local-ab-") as tmp:
        work = Path(tmp)
        workload = Workload.of_size(args.queues)
        manifests = write_manifests(workload, work / "manifests")
        before = work / "before"
        before.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.before], cwd=REPO, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        trees = {"before": before, "after": REPO}
        rows: dict[str, list[dict]] = {name: [] for name in trees}  # type: ignore[type-arg]
        for _ in range(args.runs):
            for name, tree in trees.items():
                rows[name].append(measure(tree, manifests))
        load = max(r["load_average"] for runs in rows.values() for r in runs)
        print(f"local work at {workload.label} (load, diff, render), {args.runs} fresh processes each, "
              f"alternating; before = {args.before}; load average up to {load:.1f}")
        for name in trees:
            print(summary(name, rows[name]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
