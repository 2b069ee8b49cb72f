"""Where an apply's time goes: every call's send time, counted per second and per action.

    python -m benchmarks.trace [--size 1000] [--rate-scale 1] [--latency 0.05] [--parallelism 10]

Starts the emulator in its own process on a fresh file, then runs ``apply`` from empty in this
process exactly as the scale benchmark's worker does, with each call stamped when the limiter
counts it as sent (the moment the request has left). Prints, per second from the first call, how many
calls of each action went out, then the wall time against the pipelined lower bound. A budget
that runs under its limit in some second is time the bound does not have.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.bounds import apply_bound  # noqa: E402
from benchmarks.emulator_process import EmulatorProcess  # noqa: E402
from benchmarks.workload import Workload, write_manifests  # noqa: E402


def record_sends() -> list[tuple[float, str]]:
    """Every call stamped from now on, as (monotonic time, action)."""
    from cmqinfra.cloud.limiter import RateLimiter

    sends: list[tuple[float, str]] = []
    lock = threading.Lock()
    stamp = RateLimiter._spend

    def traced(self: RateLimiter, action: str) -> None:
        stamp(self, action)
        with lock:
            sends.append((time.monotonic(), action))

    RateLimiter._spend = traced  # type: ignore[method-assign]
    return sends


def per_second(sends: list[tuple[float, str]], started: float) -> tuple[list[str], list[Counter[str]]]:
    actions = sorted({a for _, a in sends})
    seconds: list[Counter[str]] = []
    for moment, action in sends:
        second = int(moment - started)
        while len(seconds) <= second:
            seconds.append(Counter())
        seconds[second][action] += 1
    return actions, seconds


def table(actions: list[str], seconds: list[Counter[str]]) -> str:
    short = [a.removeprefix("CreateCmq").removeprefix("DescribeCmq") for a in actions]
    lines = ["second " + " ".join(f"{s:>13}" for s in short)]
    for i, counts in enumerate(seconds):
        lines.append(f"{i:>6} " + " ".join(f"{counts[a]:>13}" for a in actions))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    from benchmarks import worker
    from benchmarks.scale import limits_for

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="queues (topics and subscriptions follow)")
    parser.add_argument("--rate-scale", type=float, default=1.0)
    parser.add_argument("--latency", type=float, default=0.05, help="per-call latency at real limits")
    parser.add_argument("--parallelism", type=int, default=10)
    args = parser.parse_args(argv)
    workload = Workload.of_size(args.size)
    latency = args.latency / args.rate_scale
    with tempfile.TemporaryDirectory(prefix="cmqinfra-trace-") as tmp:
        manifests = write_manifests(workload, Path(tmp) / "stack")
        emulator = EmulatorProcess.start(Path(tmp) / "emulator.sqlite", args.rate_scale, latency)
        try:
            sends = record_sends()
            m = worker.measure("apply", manifests, emulator.url, args.parallelism, args.rate_scale)
            ended = time.monotonic()
        finally:
            emulator.stop()
    bound = apply_bound(workload, limits_for(args.rate_scale, latency, args.parallelism))
    first = min(moment for moment, _ in sends)
    actions, seconds = per_second(sends, first)
    print(table(actions, seconds))
    for action in actions:
        moments = [moment - first for moment, a in sends if a == action]
        print(f"{action}: {len(moments)} calls, first {min(moments):.2f}s, last {max(moments):.2f}s")
    last = max(moment for moment, _ in sends)
    print(
        f"(second 0 is the first call, {first - (ended - m.wall_seconds):.2f}s after the measured start; "
        f"the last call went out {ended - last:.2f}s before its end)"
    )
    print(
        f"apply {workload.label} at rate scale {args.rate_scale:g}: {m.wall_seconds:.2f}s "
        f"(API {m.network_seconds:.2f}s) vs bound {bound.seconds:.2f}s "
        f"= x{m.wall_seconds / bound.seconds:.3f}; "
        f"{sum(m.calls.values())} calls; load average {m.load_average:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
