"""A local CMQ for an application's tests: the emulator in this process, on a virtual clock.

    with local_cmq("infra/orders.yaml") as cmq:
        Account(cmq.endpoint, cmq.secret_id, cmq.secret_key)        # the CMQ SDK, unmodified
        HttpProfile(endpoint=cmq.endpoint)                           # the TDMQ (API 3.0) SDK
        cmq.advance(60)                                              # delays, visibility, TTL, polls, pushes
        cmq.peek("orders"); cmq.reset()                              # look; back to the manifests

The pytest plugin (``pytest_plugin.py``) hands the same object to each test as the ``cmq``
fixture, over one emulator per session. Everything here is a client of the emulator's one backend
(Backend.peek/purge/redrive/snapshot/restore); manifests go in through the real plan and apply,
the SDK's requests as ``cmqinfra apply`` would send them, handed to the emulator in process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the emulator is imported when a local CMQ starts, not when this module loads
    from cmqinfra.emulator import Emulator, PeekedMessage, PushAttempt, Redrive, Snapshot, VirtualClock
    from cmqinfra.model import Stack

PathLike = str | os.PathLike[str]


class LocalCmqError(Exception):
    """Manifests that cannot be loaded or applied, said in one message (file:line: problem)."""


@dataclass(frozen=True)
class _Unit:
    label: str  # what the user named, for messages
    stack: Stack


class LocalCmq:
    """One local CMQ: its endpoint and key pair, its clock, and what a test does to it."""

    def __init__(self, emulator: Emulator, clock: VirtualClock, root: Path) -> None:
        self._emulator = emulator
        self._clock = clock
        self._root = root
        self._rate_limits = emulator.rate_limits
        self._baseline: Snapshot = emulator.backend.snapshot()
        self._start_baseline = self._baseline

    # ----------------------------------------------------------------------------- connecting

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT``: the CMQ SDK's ``Account(host)`` and the TDMQ SDK's
        ``HttpProfile(endpoint=...)`` both take it as is."""
        return self._emulator.url

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT`` for clients that want host:port (``HttpProfile(protocol="http", ...)``)."""
        return self._emulator.endpoint

    @property
    def secret_id(self) -> str:
        return self._emulator.secret_id

    @property
    def secret_key(self) -> str:
        return self._emulator._secret_key

    @property
    def region(self) -> str:
        return self._emulator.region

    @property
    def emulator(self) -> Emulator:
        """The emulator itself (faults, rate limits, call counts), for what this class does not wrap."""
        return self._emulator

    def __repr__(self) -> str:  # the key stays out of test reports
        return f"LocalCmq(endpoint={self.endpoint!r}, region={self.region!r})"

    # ------------------------------------------------------------------------------------ time

    @property
    def now(self) -> float:
        """The virtual clock's time (seconds since the epoch)."""
        return self._clock.now()

    def advance(self, seconds: float) -> float:
        """Move the clock: delays come due, visibility windows close, retention and dead-letter ages
        pass, long polls reach their deadline; HTTP pushes (and their retries) due by then are
        tried before this returns. ``advance(0)`` just delivers what is due now."""
        now = self._clock.advance(seconds)
        self._emulator.backend.deliver_all_due()
        return now

    # ---------------------------------------------------------------------------------- state

    def apply(self, *paths: PathLike, stack: str | None = None, env: str | None = None) -> None:
        """Apply manifests through plan and apply, as ``cmqinfra apply`` does.

        Each PATH is a stack (a manifest file, or a directory of them merged); or, with ``env``
        (and optionally ``stack``), PATH is a project root (``cmqinfra.yaml``) whose units of that
        environment are applied, resolved as ``cmqinfra resolve`` shows them."""
        units = self._units(paths, stack, env)
        self._apply_units(units)

    def peek(self, queue: str, limit: int | None = None) -> list[PeekedMessage]:
        """The queue's messages in send order (body, tags, state, dequeue count), nothing consumed."""
        return list(self._emulator.backend.peek(queue, limit))

    def purge(self, queue: str) -> int:
        return self._emulator.backend.purge(queue)

    def redrive(self, dead_letter_queue: str) -> Redrive:
        return self._emulator.backend.redrive(dead_letter_queue)

    @property
    def pushes(self) -> list[PushAttempt]:
        """Every HTTP push tried since the last reset, in order."""
        return list(self._emulator.backend.push_log)

    def reset(self) -> None:
        """Back to the manifests every test gets: queues, topics, subscriptions as applied, no
        messages, no pushes, no faults, call counts at zero. The clock keeps its time."""
        from cmqinfra.emulator import Faults

        self._emulator.backend.restore(self._baseline)
        self._emulator.faults = Faults()
        self._emulator.rate_limits = self._rate_limits
        self._emulator.reset_call_counts()

    def mark_baseline(self) -> None:
        """What ``reset`` returns to from now on: the state as it is (in the pytest plugin, until
        the test ends: the next test starts from the manifests again)."""
        self._baseline = self._emulator.backend.snapshot()

    def _start_over(self) -> None:
        """The plugin, before each test: the starting state, whatever the last test marked."""
        self._baseline = self._start_baseline
        self.reset()

    def _mark_start(self) -> None:
        self.mark_baseline()
        self._start_baseline = self._baseline

    # ------------------------------------------------------------------------------ manifests

    def _resolve(self, path: PathLike) -> Path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self._root / candidate

    def _units(self, paths: Sequence[PathLike], stack: str | None, env: str | None) -> list[_Unit]:
        if not paths:
            raise LocalCmqError("apply needs at least one manifest or project path")
        if env is None and stack is not None:
            raise LocalCmqError("stack= names a stack of a project: give env= too")
        units: list[_Unit] = []
        for path in paths:
            resolved = self._resolve(path)
            units += self._project_units(resolved, stack, env) if env is not None else [self._stack(resolved)]
        return units

    @staticmethod
    def _stack(path: Path) -> _Unit:
        from cmqinfra.manifest import load_stack

        if not path.exists():
            raise LocalCmqError(f"{path}: no such manifest file or directory")
        result = load_stack([str(path)])
        errors = [d for d in result.diagnostics if d.severity.value == "error"]
        if errors or result.stack is None:
            raise LocalCmqError("\n".join(d.render() for d in errors) or f"{path}: no stack loaded")
        return _Unit(str(path), result.stack)

    @staticmethod
    def _project_units(root: Path, stack: str | None, env: str) -> list[_Unit]:
        from cmqinfra.project.resolve import resolve_unit
        from cmqinfra.project.units import ProjectError, load_project

        project = load_project(root)
        if not project.ok:
            raise LocalCmqError("\n".join(d.render() for d in project.diagnostics))
        try:
            units = project.units([stack] if stack else [], [env])
        except ProjectError as exc:
            raise LocalCmqError(f"{root}: {exc}") from None
        if not units:
            raise LocalCmqError(f"{root}: no stack is deployed to environment {env!r}")
        found: list[_Unit] = []
        for unit in units:
            resolved = resolve_unit(project, unit)
            if resolved.stack is None:
                errors = [d.render() for d in resolved.diagnostics if d.severity.value == "error"]
                raise LocalCmqError("\n".join(errors) or f"{root}: {unit.key} does not resolve")
            found.append(_Unit(f"{root} {unit.key}", resolved.stack))
        return found

    def _apply_units(self, units: Sequence[_Unit]) -> None:
        from cmqinfra.cloud.target import Target, open_api
        from cmqinfra.run.executor import execute
        from cmqinfra.run.session import compute

        for unit in units:
            if unit.stack.region is not None and unit.stack.region != self.region:
                raise LocalCmqError(
                    f"{unit.label}: stack {unit.stack.name!r} is for region {unit.stack.region}, this local "
                    f"CMQ serves {self.region} (local_cmq(region=...) or the cmqinfra_region ini option)"
                )
        from cmqinfra.emulator import inprocess

        credentials = (self.secret_id, self.secret_key, None)
        # The test's own clients come over HTTP; cmqinfra's apply, in this process already, hands
        # the SDK's signed requests to the same request handler without a socket in between.
        emulator = self._emulator
        with open_api(Target.endpoint(self.endpoint), self.region, credentials=credentials,
                      transport=lambda client: inprocess.connect(client, emulator)) as api:
            for unit in units:
                plan = compute(unit.stack, api, self.region)
                if not plan.ok:
                    raise LocalCmqError(f"{unit.label}: stack {unit.stack.name!r}: {plan.errors[0].message}")
                report = execute(plan, api)
                if not report.ok:
                    failed = report.failed[0] if report.failed else None
                    why = f"{failed.address}: {failed.error}" if failed else "interrupted"
                    raise LocalCmqError(f"{unit.label}: applying stack {unit.stack.name!r} failed: {why}")


def manifest_region(paths: Sequence[PathLike], root: Path) -> str | None:
    """The one region the manifests name, if they name exactly one."""
    from cmqinfra.manifest import load_stack

    regions = set()
    for path in paths:
        candidate = Path(path) if Path(path).is_absolute() else root / path
        result = load_stack([str(candidate)]) if candidate.exists() else None
        if result is not None and result.stack is not None and result.stack.region:
            regions.add(result.stack.region)
    return regions.pop() if len(regions) == 1 else None


@contextmanager
def local_cmq(
    *manifests: PathLike,
    region: str | None = None,
    root: PathLike | None = None,
    start: float | None = None,
    **emulator_options: Any,
) -> Iterator[LocalCmq]:
    """A local CMQ with ``manifests`` applied, for any test runner (like moto's ``mock_aws``).

    In-memory state on an ephemeral loopback port, a virtual clock starting at ``start`` (now by
    default), rate limits off; stopped and gone when the block ends. ``root`` is where relative
    paths are read from (the working directory by default). ``emulator_options`` go to
    ``Emulator.start`` (``seed``, ``faults``, ``rate_limits``...)."""
    from cmqinfra.emulator import DEFAULT_REGION, Emulator, VirtualClock

    base = Path(root) if root is not None else Path.cwd()
    clock = VirtualClock(start=float(int(time.time())) if start is None else start)
    region = region or manifest_region(manifests, base) or DEFAULT_REGION
    options: dict[str, Any] = {"rate_limits": False, "seed": 0, **emulator_options}
    emulator = Emulator.start(":memory:", region=region, clock=clock, **options)
    try:
        cmq = LocalCmq(emulator, clock, base)
        if manifests:
            cmq.apply(*manifests)
            cmq._mark_start()
        yield cmq
    finally:
        emulator.stop()
