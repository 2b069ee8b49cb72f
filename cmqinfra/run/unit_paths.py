"""A bare PATH is a project of one unit: the stack the manifests at PATH... declare, with no
environment, aimed where the flags point. Its read starts from the manifest's ``stack:`` line
while the manifest loads (cmqinfra/run/early_reads.py, as every unit's), a path inside a project is
refused (it is planned with its environment), and the project's policies and ``moved`` claims
around the path apply to it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.project.units import StackUnit
from cmqinfra.run import session


def refuse_project_flags(selection: Any) -> None:
    """Project flags select units of a project: they make no sense beside manifest PATHs."""
    if selection.given:
        raise session.Failure("--project, --stack, --env and --changed-since select stacks of a project; "
                              "they cannot be combined with manifest PATH arguments")


def anchor(paths: Sequence[str]) -> Path:
    """The directory of the first PATH: where its git commit and its project are looked up."""
    first = Path(paths[0]).resolve()
    return first if first.is_dir() else first.parent


def path_unit(paths: Sequence[str], stack_name: str) -> StackUnit:
    return StackUnit(stack_name=stack_name, environment=None, paths=tuple(Path(p) for p in paths),
                     region=None)


def resolve_paths(
    paths: Sequence[str], options: session.TargetOptions, connections: Any, whole: bool = True
) -> tuple[list[ResolvedUnit], Any]:
    """The one unit of ``paths``, loaded (its diagnostics printed, its errors raised), and its
    read started while it loads unless the plan is partial (``whole=False``: a --target plan
    reads by name) or local (the embedded emulator never starts before the manifest loads)."""
    from cmqinfra.manifest.peek import peek
    from cmqinfra.run.early_reads import resolve_while_reading

    session.refuse_project_member(paths)
    heading = peek(paths)
    unit = path_unit(paths, heading.stack or Path(paths[0]).stem)

    def load(_project: object, units: Sequence[StackUnit]) -> list[ResolvedUnit]:
        stack = session.load(paths)
        loaded = units[0] if stack.name == units[0].stack_name else path_unit(paths, stack.name)
        return [ResolvedUnit(loaded, stack, (), (), tuple(paths), frozenset())]

    if not whole or options.local or heading.stack is None:
        return load(None, [unit]), None
    return resolve_while_reading(None, [unit], options, connections, load)  # type: ignore[arg-type]


def claims_of(
    paths: Sequence[str], resolved: Sequence[ResolvedUnit]
) -> Mapping[str, Callable[[], Mapping[str, str]]]:
    """What the project around ``paths`` takes from the unit's stack with ``moved`` (asked only
    when its plan would delete something)."""
    stack = resolved[0].stack
    assert stack is not None

    def find() -> Mapping[str, str]:
        from cmqinfra.project.claims import claimed_from

        return claimed_from(stack.name, paths)

    return {resolved[0].unit.key: find}


def unit_error(items: Sequence[Any]) -> None:
    """A PATH's run has one unit: its failure to connect or read is the run's error, raised as
    such before anything is shown."""
    for item in items:
        if item.error is not None:
            raise session.Failure(item.error)


def save(item: Any, api: Any, options: session.TargetOptions, out: str) -> str:
    """The plan file of one unit, bound to where the flags pointed and to the caller's account;
    returns where, described."""
    bound = session.bind(session.target_for(options, item.region), api)
    session.save(item.plan, out, bound)
    return bound.describe()
