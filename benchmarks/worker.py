"""One measurement in a fresh process, so peak RSS and CPU time belong to it alone.

``python -m benchmarks.worker MODE MANIFEST_DIR [ENDPOINT PARALLELISM RATE_SCALE]`` prints one JSON
object: wall seconds, CPU seconds per local phase (load + validate, diff, render: timed with
``time.process_time`` while no API call is in flight; the load, which overlaps the read, by its
own thread's time), API calls per action, the peak RSS and the load average at the end.

Modes: ``local`` (load, diff against a live state equal to the manifest, render: no network),
``plan`` (the real no-change plan against the endpoint), ``apply`` (plan and execute from empty),
``targeted`` (``plan --target`` of the address in $CMQINFRA_BENCH_TARGET: the load is timed on its
own, ``network_seconds`` is the rest) and ``project`` (MANIFEST_DIR is a project root: every stack
planned at once on one shared budget).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks import pipeline


@dataclass
class Measurement:
    mode: str
    wall_seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # phase -> CPU seconds
    network_seconds: float = 0.0  # wall time spent reading / executing against the API
    calls: dict[str, int] = field(default_factory=dict)
    changes: int = 0
    peak_rss_mb: float = 0.0
    load_average: float = 0.0  # the machine's 1-minute load average at the end

    @property
    def local_cpu(self) -> float:
        return sum(self.cpu.values())


class Phases:
    def __init__(self, measurement: Measurement) -> None:
        self.m = measurement

    def cpu(self, name: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.process_time()
        result = fn(*args, **kwargs)
        self.m.cpu[name] = self.m.cpu.get(name, 0.0) + time.process_time() - start
        return result

    def network(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        self.m.network_seconds += time.perf_counter() - start
        return result


def warm_up() -> None:
    """Import and run the local phases once on a tiny stack, so one-time costs (module imports,
    first-call caches) are not counted as work that grows with the stack."""
    from benchmarks.workload import Workload, stack_of

    tiny = stack_of(Workload.of_size(10))
    pipeline.render(pipeline.make_plan(tiny, pipeline.live_state_equal_to(tiny)))
    if pipeline.has_loader():
        import cmqinfra.manifest  # noqa: F401
    if pipeline.has_adapter():
        import cmqinfra.run.session  # noqa: F401


def measure(
    mode: str, manifests: Path, endpoint: str | None, parallelism: int, rate_scale: float
) -> Measurement:
    warm_up()
    m = Measurement(mode)
    phases = Phases(m)
    started = time.perf_counter()
    if mode == "project":
        assert endpoint is not None
        items, counts, m.cpu["load"] = phases.network(
            pipeline.project_plan, manifests, endpoint, parallelism, rate_scale
        )
        failed = [f"{i.unit.key}: {i.error or i.status}" for i in items if i.plan is None or not i.plan.ok]
        if failed:
            raise SystemExit("the project plan failed: " + "; ".join(failed[:5]))
        m.calls = counts
        m.changes = sum(pipeline.change_count(i.plan) for i in items)
        return finish(m, started)
    if mode == "targeted":
        assert endpoint is not None
        api = pipeline.open_api(endpoint, parallelism, rate_scale)
        stack = phases.cpu("load", pipeline.load, [manifests])  # apart: the target is the rest
        plan = phases.network(pipeline.targeted_plan, api, stack, os.environ["CMQINFRA_BENCH_TARGET"])
        m.calls = dict(pipeline.call_counts(api))
        m.changes = pipeline.change_count(plan)
        return finish(m, started)
    if mode == "local":
        stack = phases.cpu("load", pipeline.load, [manifests])
        live = pipeline.live_state_equal_to(stack)  # test input, not timed as cmqinfra's work
        plan = phases.cpu("diff", pipeline.make_plan, stack, live)
        phases.cpu("render", pipeline.render, plan)
    else:
        assert endpoint is not None
        api = pipeline.open_api(endpoint, parallelism, rate_scale)
        # The load runs while the owned resources are read: its CPU is its own thread's.
        stack, live, m.cpu["load"] = phases.network(pipeline.load_and_read, api, [manifests])
        plan = phases.cpu("diff", pipeline.plan, stack, live, api)
        phases.cpu("render", pipeline.render, plan)
        if mode == "apply":
            phases.network(pipeline.execute, plan, api, parallelism)
        m.calls = dict(pipeline.call_counts(api))
    m.changes = pipeline.change_count(plan)
    return finish(m, started)


def finish(m: Measurement, started: float) -> Measurement:
    m.wall_seconds = time.perf_counter() - started
    m.peak_rss_mb = peak_rss_mb()
    m.load_average = os.getloadavg()[0]
    return m


def peak_rss_mb() -> float:
    """This process's own peak RSS. Not ``ru_maxrss``: Linux carries the RSS of the process that
    forked this one over ``exec`` into it (a worker started by a scale run that holds 90 MB reported
    at least 90 MB whatever it did); the high-water mark of its own memory (``VmHWM``) starts at
    ``exec``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str]) -> None:
    mode, manifests = argv[0], Path(argv[1])
    endpoint = argv[2] if len(argv) > 2 else None
    parallelism = int(argv[3]) if len(argv) > 3 else 10
    rate_scale = float(argv[4]) if len(argv) > 4 else 1.0
    print(json.dumps(asdict(measure(mode, manifests, endpoint, parallelism, rate_scale))))


if __name__ == "__main__":
    main(sys.argv[1:])
