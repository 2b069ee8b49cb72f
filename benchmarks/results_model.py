"""The benchmark's results as values: one row per size, the targets and their verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Timed:
    """A measured command against its lower bound."""

    seconds: float
    calls: dict[str, int]
    bound_seconds: float
    bound_calls: dict[str, int]
    local_cpu: float
    peak_rss_mb: float
    changes: int
    network_seconds: float = 0.0  # wall time in API reads / the executor
    load_average: float = 0.0  # the machine's 1-minute load average when it ended

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def ratio(self) -> float:
        return self.seconds / self.bound_seconds if self.bound_seconds else float("inf")


@dataclass(frozen=True)
class Baseline:
    """The Terraform provider's per-resource refresh, against the least time its limiter allows."""

    seconds: float
    calls: dict[str, int]
    throttled: int
    bound_seconds: float = 0.0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


@dataclass(frozen=True)
class SizeResult:
    label: str  # queues/topics/subscriptions
    queues: int
    apply: Timed | None
    plan: Timed | None
    baseline: Baseline | None
    # The factor on every rate limit this row ran at: 1 is the documented (real) limits.
    rate_scale: float = 1.0
    # The same refresh paced at 20 calls per action per one-second window (--window-baseline).
    window_baseline: Baseline | None = None

    @property
    def at_real_limits(self) -> bool:
        return self.rate_scale == 1.0

    def beaten_bounds(self) -> list[str]:
        """Every measured time of this row below its lower bound, and every action called fewer
        times than the bound counts: each one is a bug in the bound."""
        found = []
        for name, timed in (("apply", self.apply), ("plan", self.plan)):
            if timed is None:
                continue
            for what, seconds in (("time", timed.seconds), ("API time", timed.network_seconds)):
                if seconds < timed.bound_seconds:
                    found.append(
                        f"{self.label} {name} at rate scale {self.rate_scale:g}: {what} {seconds:.3f}s "
                        f"< bound {timed.bound_seconds:.3f}s"
                    )
            # The bound counts only calls no client can avoid: making fewer is beating it too.
            for action, count in sorted(timed.bound_calls.items()):
                if timed.calls.get(action, 0) < count:
                    found.append(
                        f"{self.label} {name} at rate scale {self.rate_scale:g}: {action} "
                        f"{timed.calls.get(action, 0)} calls < bound {count}"
                    )
        for name, base in (("baseline", self.baseline), ("per-second window baseline", self.window_baseline)):
            if base is not None and base.seconds < base.bound_seconds:
                found.append(
                    f"{self.label} {name} at rate scale {self.rate_scale:g}: {base.seconds:.3f}s "
                    f"< bound {base.bound_seconds:.3f}s"
                )
        return found


@dataclass(frozen=True)
class LocalPoint:
    """The local work at one size: ``cpu`` is the phases of the fresh process whose total was the
    median of ``runs``; ``total_min``/``total_max`` the spread of the totals; the peak RSS and
    the load average are the largest seen."""

    queues: int
    label: str
    cpu: dict[str, float]
    peak_rss_mb: float
    load_average: float = 0.0
    runs: int = 1
    total_min: float | None = None
    total_max: float | None = None

    @property
    def total_cpu(self) -> float:
        return sum(self.cpu.values())

    @property
    def spread(self) -> str:
        if self.runs < 2 or self.total_min is None or self.total_max is None:
            return "one process"
        return f"median of {self.runs} fresh processes, min {self.total_min:.2f}s, max {self.total_max:.2f}s"


@dataclass(frozen=True)
class Target:
    name: str
    passed: bool | None  # None: not measured in this run
    detail: str


@dataclass(frozen=True)
class Run:
    command: str
    rate_scale: float
    latency: float
    parallelism: int
    sizes: tuple[SizeResult, ...]  # the curve over sizes, at ``rate_scale``
    local: tuple[LocalPoint, ...]
    targets: tuple[Target, ...] = field(default=())
    # Extra rows measured at rate scale 1 to judge the time targets (empty when ``rate_scale`` is
    # already 1: then ``sizes`` are those rows and nothing runs twice).
    real_limits: tuple[SizeResult, ...] = field(default=())
    real_limits_skipped: bool = False  # --no-real-limits: the time targets are not judged
    # Apply from empty at the large size, at its own rate scale (judged on its API time).
    large_apply: tuple[SizeResult, ...] = field(default=())
    # Cost that follows the change: one queue of a large stack, a project of many stacks.
    targeted: tuple[SizeResult, ...] = field(default=())
    project: tuple[SizeResult, ...] = field(default=())

    @property
    def every_row(self) -> tuple[SizeResult, ...]:
        return self.sizes + self.real_limits + self.large_apply + self.targeted + self.project

    @property
    def timing_rows(self) -> tuple[SizeResult, ...] | None:
        """The rows the time targets are judged on, or None when no run at the real limits."""
        if self.rate_scale == 1.0:
            return self.sizes
        if self.real_limits_skipped:
            return None
        return self.real_limits
