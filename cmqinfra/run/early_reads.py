"""Reading every unit's live state while the project resolves.

Most of a unit's read is what its stack owns, found by the ownership tag: it needs the stack's
name, which the manifests' ``stack:`` line gives (with the environment's name affixes) before
anything is parsed. So each unit's read starts first, on its target's shared rate budget, and the
project resolves meanwhile (interpolation, loading and checks of every stack). The resolved unit
is the judge: a read started for another region or target is thrown away and the unit is read
again (for another stack name the read starts over by itself, see ``PendingRead.finish``); a unit
whose manifests fail to load cancels its read, which may have cost its first listings, nothing
else. As for one stack, the embedded emulator (``--local``) is never started for this: its units
are read once they have loaded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from cmqinfra.manifest.peek import peek
from cmqinfra.project.resolve import ResolvedUnit, resolve_all
from cmqinfra.project.units import Project, StackUnit
from cmqinfra.run.connections import Connections, ResolvedTarget, target_of, unit_region
from cmqinfra.run.session import Failure, TargetOptions


@dataclass(frozen=True)
class EarlyRead:
    """One unit's read, started from its manifests' heading before they were parsed."""

    region: str | None
    target: ResolvedTarget
    api: Any  # TdmqApi
    pending: Any  # PendingRead


class EarlyReads:
    """The reads started for a run's units, each taken at most once; thread-safe."""

    def __init__(self, reads: dict[str, EarlyRead] | None = None) -> None:
        self._reads = dict(reads or {})
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._reads)

    def take(self, unit: StackUnit, region: str | None, target: ResolvedTarget) -> EarlyRead | None:
        """The unit's read, if it was started for this region and target (else it is cancelled)."""
        with self._lock:
            read = self._reads.pop(unit.key, None)
        if read is None:
            return None
        if read.region != region or read.target != target:
            read.pending.cancel()
            return None
        return read

    def pending(self) -> list[Any]:
        with self._lock:
            return [read.pending for read in self._reads.values()]

    def cancel(self) -> None:
        """Stop every read not taken (a unit that failed to load, or was not planned)."""
        with self._lock:
            reads, self._reads = list(self._reads.values()), {}
        for read in reads:
            read.pending.cancel()


def start_reads(units: Sequence[StackUnit], options: TargetOptions, connections: Connections) -> EarlyReads:
    """Start the read of every unit whose manifests name their stack on a plain ``stack:`` line."""
    started: dict[str, EarlyRead] = {}
    try:
        for unit in units:
            read = _start(unit, options, connections)
            if read is not None:
                started[unit.key] = read
    except BaseException:
        EarlyReads(started).cancel()
        raise
    return EarlyReads(started)


def _start(unit: StackUnit, options: TargetOptions, connections: Connections) -> EarlyRead | None:
    from cmqinfra.cloud.errors import CloudError, CredentialsError

    heading = peek(unit.paths)
    if heading.stack is None:
        return None
    try:
        region = unit_region(unit, heading.region, options).name
        target = target_of(unit, options, region)
        if target.kind == "local":
            return None
        api = connections.open(unit, target)
    except (Failure, CloudError, CredentialsError):
        return None  # the unit's own read reports it, after its manifests are checked
    if getattr(api, "start_read", None) is None:
        return None  # an API that reads only whole: the unit reads once it has loaded
    name = unit.name_prefix + heading.stack + unit.name_suffix
    pending = api.start_read(name, connections.untagged_count(unit, target, api))
    return EarlyRead(region, target, api, pending)


def resolve_while_reading(
    project: Project,
    units: Sequence[StackUnit],
    options: TargetOptions,
    connections: Connections,
    resolve: Callable[[Project, Sequence[StackUnit]], list[ResolvedUnit]] = resolve_all,
) -> tuple[list[ResolvedUnit], EarlyReads]:
    """``resolve(project, units)``, with every unit's read started first (see the module's text).
    Hand the reads to ``plan_project``; they are cancelled here if the resolve fails."""
    from cmqinfra.run.overlap import head_start, sooner_switches

    reads = start_reads(units, options, connections)
    try:
        head_start(reads.pending())
        with sooner_switches() if len(reads) else nullcontext():
            resolved = resolve(project, units)
    except BaseException:
        reads.cancel()
        connections.cancel_counts()
        raise
    return resolved, reads
