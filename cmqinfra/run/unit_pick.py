"""The run's units, picked and resolved: the one unit of PATH... or the project's selected ones
(with their --target addresses), each unit's read started while it resolves. What plan and apply
both do before planning."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.run import session
from cmqinfra.run.unit_paths import claims_of, resolve_paths
from cmqinfra.run.unit_selection import (
    cross_checked,
    load_selection,
    others_of,
    refuse_bare_targets,
    resolve_and_read,
    unit_targets,
)
from cmqinfra.run.unit_view import print_diagnostics
from cmqinfra.selection import Selection


@dataclass(frozen=True)
class PickedUnits:
    resolved: list[ResolvedUnit]
    early: Any  # the reads started while the units resolved (run/early_reads.py), or None
    by_unit: dict[str, tuple[str, ...]]  # --target addresses by unit key (empty: whole units)
    others: list[ResolvedUnit]  # the selected environments' units this run does not plan
    claims: Mapping[str, Callable[[], Mapping[str, str]]] | None  # a PATH's `moved` claims around it

    @property
    def bystanders(self) -> list[ResolvedUnit]:
        """The other units that loaded: read only for the moves they declare."""
        return [o for o in self.others if o.stack is not None]


def pick_units(selection: Selection, paths: Sequence[str], targets: Sequence[str],
               options: session.TargetOptions, connections: Any,
               notes: list[str] | None = None) -> PickedUnits:
    if paths:
        resolved, early = resolve_paths(paths, options, connections, whole=not targets)
        by_unit = {resolved[0].unit.key: tuple(targets)} if targets else {}
        return PickedUnits(resolved, early, by_unit, [], claims_of(paths, resolved))
    refuse_bare_targets(targets)
    project, units = load_selection(selection)
    units, by_unit = unit_targets(selection, units, targets)
    resolved, early = resolve_and_read(project, units, selection, options, connections,
                                       partial=bool(by_unit), notes=notes)
    others = others_of(project, resolved)
    resolved = cross_checked(project, resolved, others)
    print_diagnostics(resolved)
    return PickedUnits(resolved, early, dict(by_unit), others, None)
