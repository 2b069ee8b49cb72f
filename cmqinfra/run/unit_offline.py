"""A project's units offline: ``route --stack S --env E TOPIC`` on one unit's manifests and
``test`` (no PATH) on each selected unit's, as their environment sees them (no emulator, no
account)."""

from __future__ import annotations

import dataclasses
from typing import Any

from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.project.units import Project, StackUnit
from cmqinfra.run import session
from cmqinfra.run.unit_changes import select_changed
from cmqinfra.run.unit_selection import cross_checked, load_selection, resolve_units
from cmqinfra.run.unit_view import print_diagnostics
from cmqinfra.selection import Selection


def _selected(selection: Selection) -> tuple[Project, tuple[StackUnit, ...]]:
    """The units --stack / --env (and --changed-since) pick, offline (no emulator, no account)."""
    project, units = load_selection(selection)
    if selection.changed_since:
        changed = select_changed(project, resolve_units(project, units), selection.changed_since)
        chosen = {r.unit.key for r in changed}
        units = tuple(u for u in units if u.key in chosen)
    return project, units


def one_unit(selection: Selection) -> tuple[ResolvedUnit, StackUnit]:
    """The one unit --stack (and --env when the stack has several) names, resolved; errors at their
    lines. Returns the resolved unit and the unit as written (for its name affixes)."""
    project, units = _selected(selection)
    if not units:
        raise session.Failure("no stack of the project is selected: name one with --stack (and --env)")
    if len(units) > 1:
        raise session.Failure(f"{len(units)} stacks are selected ({', '.join(u.key for u in units)}): "
                              "name one with --stack and --env")
    [resolved] = cross_checked(project, resolve_units(project, units))
    print_diagnostics([resolved])
    if resolved.stack is None:
        errors = sum(1 for d in resolved.diagnostics if d.severity.value == "error")
        raise session.ManifestErrors(f"{errors} error(s) in {resolved.unit.key}", resolved.diagnostics)
    return resolved, units[0]


def unit_topic(unit: StackUnit, stack: Any, topic: str) -> str:
    """TOPIC as the environment names it: as given when the stack has it, else with the
    environment's name prefix and suffix (``order-events`` is ``order-events-dev`` in dev)."""
    names = {t.name for t in stack.topics}
    affixed = f"{unit.name_prefix}{topic}{unit.name_suffix}"
    return topic if topic in names or affixed not in names else affixed


def flow_tests(selection: Selection, name_filter: str | None, delivery: Any = None) -> Any:
    """Every selected unit's ``*.cmqtest.yaml`` run against that unit's manifests resolved for its
    environment: variables as the environment gives them, names as written (a test names the
    queues of the manifest beside it). One suite result; each test named with its unit."""
    from cmqinfra.flowtest.suite import SuiteResult, run_suite
    from cmqinfra.manifest.loader import LoadResult
    from cmqinfra.project.resolve import resolve_unit

    project, units = _selected(selection)
    results: list[Any] = []
    diagnostics: list[Any] = []
    problems: list[str] = []
    for unit in units:
        bare = dataclasses.replace(unit, name_prefix="", name_suffix="")

        def load(_manifests: list[str], bare: StackUnit = bare) -> LoadResult:
            resolved = resolve_unit(project, bare)
            return LoadResult(resolved.stack, list(resolved.diagnostics))

        suite = run_suite([str(p) for p in unit.paths], name_filter, delivery, load)
        results += [dataclasses.replace(r, name=f"{unit.key}: {r.name}") for r in suite.results]
        diagnostics += [d for d in suite.diagnostics if d not in diagnostics]
        problems += [f"{unit.key}: {p}" for p in suite.problems if "no *.cmqtest.yaml" not in p]
    return SuiteResult(tuple(results), tuple(diagnostics), tuple(problems))
