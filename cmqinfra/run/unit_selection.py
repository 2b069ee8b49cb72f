"""Which units a run plans: the project loaded, --stack / --env / --changed-since / --target
STACK[ENV]:ADDRESS applied, the chosen units resolved (their reads started meanwhile) and checked
against the project's other units."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.project.units import Project, ProjectError, StackUnit, load_project
from cmqinfra.run import session
from cmqinfra.run.unit_changes import select_changed
from cmqinfra.selection import Selection


def load_selection(selection: Selection) -> tuple[Project, tuple[StackUnit, ...]]:
    project = load_project(Path(selection.root))
    if not project.ok and all(d.location is None for d in project.diagnostics):
        raise session.Failure("; ".join(d.render().removeprefix("error: ") for d in project.diagnostics))
    for d in project.diagnostics:
        click.echo(d.render(), err=True)
    if not project.ok:
        raise session.ManifestErrors(f"{len(project.diagnostics)} error(s) in the project",
                                     project.diagnostics)
    try:
        return project, project.units(selection.stacks, selection.environments)
    except ProjectError as exc:
        raise session.Failure(str(exc)) from None


def refuse_bare_targets(targets: Sequence[str]) -> None:
    """Without manifest PATHs a target must name its stack: checked before the project is read."""
    from cmqinfra.project.targets import is_project_target

    bare = [t for t in targets if not is_project_target(t)]
    if bare:
        raise session.Failure(f"--target {bare[0]}: without manifest PATH..., name the stack too, as "
                              f"STACK[ENV]:{bare[0]} (project mode), or give the stack's manifest PATH...")


def unit_targets(selection: Selection, units: Sequence[StackUnit],
                  targets: Sequence[str]) -> tuple[tuple[StackUnit, ...], dict[str, tuple[str, ...]]]:
    """The units --target names and each one's addresses (all units and none without --target)."""
    from cmqinfra.project.targets import parse_project_target, targets_by_unit

    if not targets:
        return tuple(units), {}
    if selection.stacks or selection.environments or selection.changed_since:
        raise session.Failure("--target names the stacks to plan: it cannot be combined with --stack, --env "
                              "or --changed-since")
    try:
        by_unit = targets_by_unit(units, [parse_project_target(t) for t in targets])
    except ProjectError as exc:
        raise session.Failure(str(exc)) from None
    return tuple(u for u in units if u.key in by_unit), by_unit


def resolve_units(project: Project, units: Sequence[StackUnit]) -> list[ResolvedUnit]:
    from cmqinfra.project.resolve import resolve_all

    return resolve_all(project, units)


def resolve_and_read(project: Project, units: Sequence[StackUnit], selection: Selection,
                      options: session.TargetOptions, connections: Any,
                      partial: bool = False,
                      notes: list[str] | None = None) -> tuple[list[ResolvedUnit], Any]:
    """The selected units resolved and, unless --changed-since picks among them afterwards (which
    would waste the reads of the others) or --target reads only what its addresses need, each
    unit's read started before the resolve."""
    from cmqinfra.run.early_reads import resolve_while_reading

    if partial:
        return resolve_units(project, units), None
    if selection.changed_since is not None:
        return select_changed(project, resolve_units(project, units), selection.changed_since, notes), None
    return resolve_while_reading(project, units, options, connections, resolve_units)


def whole_project(selection: Selection, by_unit: Any) -> bool:
    """Every unit of the project is in the run (no --stack, --env, --changed-since, --target)."""
    return not (selection.stacks or selection.environments or selection.changed_since or by_unit)


def others_of(project: Project, resolved: Sequence[ResolvedUnit]) -> list[ResolvedUnit]:
    """The units of the selected environments that this run does not plan, resolved (failed too)."""
    planned = {r.unit.key for r in resolved}
    environments = {r.unit.environment for r in resolved}
    rest = [u for u in project.all_units if u.key not in planned and u.environment in environments]
    return resolve_units(project, rest) if rest else []


def cross_checked(project: Project, resolved: list[ResolvedUnit],
                   others: Sequence[ResolvedUnit] | None = None) -> list[ResolvedUnit]:
    """The refactoring entries that name other units checked against them (project/crossunit.py)."""
    from cmqinfra.project.crossunit import check_units

    return check_units(resolved, others_of(project, resolved) if others is None else others)


def units_of_files(
    project: Project, units: Sequence[StackUnit], files: Sequence[str]
) -> tuple[StackUnit, ...]:
    """The units the given files belong to (all of them when the project file is among them)."""
    from cmqinfra.project.config import PROJECT_FILE

    given = [Path(f).resolve() for f in files]
    if (project.root / PROJECT_FILE).resolve() in given:
        return tuple(units)

    def holds(unit: StackUnit, file: Path) -> bool:
        paths = [p.resolve() for p in (*unit.paths, *unit.value_files)]
        return any(file == p or p in file.parents for p in paths)

    return tuple(u for u in units if any(holds(u, f) for f in given))
