"""The long-poll wake-up, this checkout's emulator against another revision's, in one run.

    python benchmarks/wake_ab.py --before REV [--rounds 5] [--samples 100]

Exports REV with ``git archive`` into a temporary directory, then, round by round, starts the
emulator of each tree in turn (``cmqinfra emulator --fresh --no-rate-limits``, its own process)
and measures it with this checkout's ``benchmarks/dataplane.py`` wake-up (a receive waits, another
process sends; from the send reaching the server to the receive's return). Alternating the trees
run by run lets both see the same load on a shared machine. Prints each round and, per tree, the
percentiles of all its samples pooled.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(REPO))

from benchmarks.dataplane import _environment, cmq_service, percentile, wake_up_latencies  # noqa: E402


def measure(tree: Path, samples: int) -> list[float]:
    env = {**_environment(), "PYTHONPATH": str(tree)}  # the tree's own cmqinfra
    process = subprocess.Popen(
        [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", "--fresh", "--no-rate-limits"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=tree,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise SystemExit(f"the emulator in {tree} did not start (said {line!r})")
        return [wake.from_wire for wake in wake_up_latencies(cmq_service(line.removeprefix("listening on ")),
                                                             samples)]
    finally:
        process.terminate()
        process.wait(timeout=10)


def describe(values: list[float]) -> str:
    return " ".join(f"p{q} {percentile(values, q):.3f}" for q in (50, 90, 99)) + " ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the revision to compare with (git rev)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=100, help="wake-ups per tree per round")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wake-ab-") as scratch:
        before = Path(scratch)
        archive = subprocess.run(["git", "archive", args.before], cwd=REPO, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
        trees = {"before": before, "after": REPO}
        pooled: dict[str, list[float]] = {name: [] for name in trees}
        for round_ in range(args.rounds):
            for name, tree in trees.items():
                values = measure(tree, args.samples)
                pooled[name] += values
                print(f"round {round_ + 1} {name:<6} {describe(values)} (load average "
                      f"{os.getloadavg()[0]:.1f})", flush=True)
        for name, values in pooled.items():
            print(f"{name:<6} all {len(values)} samples: {describe(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
