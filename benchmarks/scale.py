"""Scale benchmark: cmqinfra plan / apply at account-quota size against the emulator.

    python benchmarks/scale.py [--sizes 100,1000,10000] [--rate-scale 10] [--latency 0.05]
                               [--out benchmarks/results]

Starts the emulator in its own process with the documented per-action rate limits (all scaled
by --rate-scale; the per-call latency is divided by the same factor, so the whole API runs that
much faster and the ratios stay those of the real limits). For each size it measures ``apply``
from empty, then ``plan`` with no changes (each in a fresh process), then the per-resource
refresh baseline against the same emulator; and, offline, the local work at more sizes.
Writes OUT/scale.md, OUT/scale.png and OUT/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(REPO))

from benchmarks.bounds import (  # noqa: E402
    Limits,
    apply_bound,
    baseline_calls,
    pipelined_apply_bound,
    plan_bound,
)
from benchmarks.emulator_process import EmulatorProcess  # noqa: E402
from benchmarks.report import markdown, plot  # noqa: E402
from benchmarks.results_model import Baseline, LocalPoint, Run, SizeResult, Target, Timed  # noqa: E402
from benchmarks.workload import Workload, write_manifests  # noqa: E402

PLAN_SIZE, APPLY_SIZE, LOCAL_SIZE = 10_000, 1_000, 10_000


def worker(  # type: ignore[type-arg]
    mode: str, manifests: Path, endpoint: str | None = None, parallelism: int = 10, rate_scale: float = 1.0
) -> dict:
    args = [sys.executable, "-m", "benchmarks.worker", mode, str(manifests)]
    if endpoint:
        args += [endpoint, str(parallelism), str(rate_scale)]
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} at {manifests} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed(raw: dict, bound_seconds: float, bound_calls: dict[str, int]) -> Timed:  # type: ignore[type-arg]
    return Timed(
        seconds=raw["wall_seconds"],
        calls=raw["calls"],
        bound_seconds=bound_seconds,
        bound_calls=bound_calls,
        local_cpu=sum(raw["cpu"].values()),
        peak_rss_mb=raw["peak_rss_mb"],
        changes=raw["changes"],
        network_seconds=raw["network_seconds"],
    )


def limits_for(rate_scale: float, latency: float, parallelism: int) -> Limits:
    from cmqinfra.emulator import RATE_LIMITS

    return Limits({a: r * rate_scale for a, r in RATE_LIMITS.items()}, latency, parallelism)


def measure_commands(
    workload: Workload,
    manifests: Path,
    emulator: EmulatorProcess,
    limits: Limits,
    parallelism: int,
    rate_scale: float,
) -> tuple[Timed, Timed]:
    print(f"[{workload.label}] apply from empty ...", flush=True)
    a_bound = apply_bound(workload, limits)
    apply = timed(
        worker("apply", manifests, emulator.url, parallelism, rate_scale), a_bound.seconds, a_bound.calls()
    )
    print(
        f"[{workload.label}] apply {apply.seconds:.2f}s, bound {apply.bound_seconds:.2f}s, "
        f"x{apply.ratio:.2f}, {apply.total_calls} calls",
        flush=True,
    )
    p_bound = plan_bound(workload, limits)
    plan = timed(
        worker("plan", manifests, emulator.url, parallelism, rate_scale), p_bound.seconds, p_bound.calls()
    )
    print(
        f"[{workload.label}] plan {plan.seconds:.2f}s, bound {plan.bound_seconds:.2f}s, "
        f"x{plan.ratio:.2f}, {plan.total_calls} calls, {plan.changes} changes",
        flush=True,
    )
    return apply, plan


def measure_size(queues: int, work: Path, args: argparse.Namespace) -> SizeResult:
    from benchmarks import pipeline
    from benchmarks.baseline import run_baseline
    from benchmarks.seed import seed
    from cmqinfra.emulator import DEFAULT_REGION, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

    workload = Workload.of_size(queues)
    manifests = write_manifests(workload, work / f"stack-{queues}")
    latency = args.latency / args.rate_scale
    limits = limits_for(args.rate_scale, latency, args.parallelism)
    data = work / f"emulator-{queues}.sqlite"
    if args.seed_only:
        # Fill the account quickly (limits x 1000), then measure plan alone at the chosen scale.
        print(f"[{workload.label}] seeding by direct SDK calls ...", flush=True)
        filler = EmulatorProcess.start(data, 1000.0, 0.0)
        try:
            seed(workload, filler.endpoint, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_REGION)
        finally:
            filler.stop()
    emulator = EmulatorProcess.start(data, args.rate_scale, latency)
    apply = plan = None
    try:
        if args.seed_only:
            p_bound = plan_bound(workload, limits)
            raw = worker("plan", manifests, emulator.url, args.parallelism, args.rate_scale)
            plan = timed(raw, p_bound.seconds, p_bound.calls())
            print(
                f"[{workload.label}] plan {plan.seconds:.2f}s, bound {plan.bound_seconds:.2f}s, "
                f"x{plan.ratio:.2f}, {plan.total_calls} calls, {plan.changes} changes",
                flush=True,
            )
        elif pipeline.has_adapter():
            apply, plan = measure_commands(
                workload, manifests, emulator, limits, args.parallelism, args.rate_scale
            )
        else:
            print(
                f"[{workload.label}] no TDMQ adapter in this build: seeding by direct SDK calls, "
                "plan and apply not measured",
                flush=True,
            )
            seed(workload, emulator.endpoint, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, DEFAULT_REGION)
        baseline = None
        if not args.no_baseline:
            print(
                f"[{workload.label}] per-resource baseline "
                f"({sum(baseline_calls(workload).values())} calls) ...",
                flush=True,
            )
            b = run_baseline(
                workload,
                emulator.endpoint,
                DEFAULT_SECRET_ID,
                DEFAULT_SECRET_KEY,
                DEFAULT_REGION,
                args.rate_scale,
            )
            baseline = Baseline(b.seconds, b.calls, b.throttled)
            print(
                f"[{workload.label}] baseline {baseline.seconds:.2f}s, {baseline.total_calls} calls",
                flush=True,
            )
    finally:
        emulator.stop()
    return SizeResult(
        workload.label, queues, apply, plan, baseline, pipelined_apply_bound(workload, limits).seconds
    )


def measure_local(queues: int, work: Path) -> LocalPoint:
    workload = Workload.of_size(queues)
    manifests = write_manifests(workload, work / f"local-{queues}")
    raw = worker("local", manifests)
    if raw["changes"]:
        raise RuntimeError(
            f"the offline plan at {workload.label} found {raw['changes']} changes (expected none)"
        )
    return LocalPoint(queues, workload.label, raw["cpu"], raw["peak_rss_mb"])


def find(sizes: tuple[SizeResult, ...], queues: int) -> SizeResult | None:
    return next((s for s in sizes if s.queues == queues), None)


def judge(sizes: tuple[SizeResult, ...], local: tuple[LocalPoint, ...]) -> tuple[Target, ...]:
    targets: list[Target] = []
    big = find(sizes, PLAN_SIZE)
    if big and big.plan:
        targets.append(
            Target(
                "plan at 10,000/1,000/10,000 within 1.25x of its lower bound",
                big.plan.ratio <= 1.25,
                f"{big.plan.seconds:.2f}s vs bound {big.plan.bound_seconds:.2f}s = x{big.plan.ratio:.2f}",
            )
        )
        if big.baseline:
            fewer = big.baseline.total_calls / max(1, big.plan.total_calls)
            targets.append(
                Target(
                    "plan at 10,000/1,000/10,000: at least 10x fewer API calls than the baseline",
                    fewer >= 10,
                    f"{big.plan.total_calls} vs {big.baseline.total_calls} calls = {fewer:.1f}x fewer; "
                    f"time {big.baseline.seconds / big.plan.seconds:.1f}x faster",
                )
            )
    else:
        targets.append(Target("plan at 10,000/1,000/10,000", None, "size not in this run"))
    mid = find(sizes, APPLY_SIZE)
    if mid and mid.apply:
        targets.append(
            Target(
                "apply from empty at 1,000/100/1,000 within 1.25x of its lower bound",
                mid.apply.ratio <= 1.25,
                f"{mid.apply.seconds:.2f}s vs bound {mid.apply.bound_seconds:.2f}s = "
                f"x{mid.apply.ratio:.2f} (pipelined bound {mid.pipelined_apply_bound:.2f}s)",
            )
        )
    else:
        targets.append(Target("apply from empty at 1,000/100/1,000", None, "size not in this run"))
    point = next((p for p in local if p.queues == LOCAL_SIZE), None)
    if point:
        targets.append(
            Target(
                "local work at 10,000/1,000/10,000 under 3 s CPU",
                point.total_cpu < 3.0,
                f"{point.total_cpu:.2f}s CPU",
            )
        )
        targets.append(
            Target(
                "local work at 10,000/1,000/10,000 under 500 MB peak RSS",
                point.peak_rss_mb < 500,
                f"{point.peak_rss_mb:.0f} MB",
            )
        )
    else:
        targets.append(Target("local work at 10,000/1,000/10,000", None, "size not in this run"))
    if len(local) >= 2:
        last = local[-1]
        # against the point nearest a tenth of the largest: the smallest sizes are all overhead
        first = min(local[:-1], key=lambda p: abs(p.queues - last.queues / 10))
        growth = (last.total_cpu / first.total_cpu) / (last.queues / first.queues) if first.total_cpu else 0
        targets.append(
            Target(
                "local work grows linearly",
                0.5 <= growth <= 1.5,
                f"CPU per queue at {last.label} / at {first.label} = {growth:.2f} (1.0 = linear)",
            )
        )
    return tuple(targets)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000", help="queue counts, comma-separated")
    parser.add_argument(
        "--local-sizes",
        default=None,
        help="queue counts for the offline local-work curve (default: sizes plus midpoints)",
    )
    parser.add_argument("--rate-scale", type=float, default=10.0)
    parser.add_argument(
        "--latency", type=float, default=0.05, help="per-call latency at real limits, seconds"
    )
    parser.add_argument("--parallelism", type=int, default=10)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--seed-only",
        action="store_true",
        help="fill the account by direct SDK calls instead of measuring apply; measure plan only",
    )
    return parser.parse_args(argv)


def default_local_sizes(sizes: list[int]) -> list[int]:
    points = set(sizes)
    for low, high in zip(sizes, sizes[1:], strict=False):
        points.add(int((low * high) ** 0.5) // 10 * 10)
    return sorted(points)


def main(argv: list[str] | None = None) -> int:
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        os.environ.pop(name, None)  # the emulator is on loopback; workers inherit this
    args = parse(sys.argv[1:] if argv is None else argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    local_sizes = (
        sorted(int(s) for s in args.local_sizes.split(","))
        if args.local_sizes
        else default_local_sizes(sizes)
    )
    command = "python benchmarks/scale.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="cmqinfra-scale-") as tmp:
        work = Path(tmp)
        results = tuple(measure_size(n, work, args) for n in sizes)
        local = tuple(measure_local(n, work) for n in local_sizes)
    run = Run(command.strip(), args.rate_scale, args.latency, args.parallelism, results, local)
    run = Run(**{**run.__dict__, "targets": judge(results, local)})
    args.out.mkdir(parents=True, exist_ok=True)
    text = markdown(run)
    (args.out / "scale.md").write_text(text, encoding="utf-8")
    (args.out / "scale.json").write_text(json.dumps(asdict(run), indent=2), encoding="utf-8")
    plot(run, args.out / "scale.png")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
