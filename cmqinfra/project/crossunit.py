"""What one unit's refactoring entries say about the other units of its environment.

A ``moved`` entry (``fromStack`` / ``toStack``) can only complete when the stack it names has a
unit in the same environment: otherwise the move never happens, and every plan afterwards shows
it pending (``--detailed-exitcode`` exits 2 forever). A ``renamedFrom`` naming a stack that still
has a unit there would take over what that stack owns while it still declares it. Both are errors
at the entry's line, found by validate and by plan before anything is read. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.schema import show
from cmqinfra.project.resolve import ResolvedUnit


def _where(env: str | None) -> str:
    return f"environment {env}" if env else "this project"


def check_units(planned: Sequence[ResolvedUnit], others: Sequence[ResolvedUnit] = ()) -> list[ResolvedUnit]:
    """``planned`` with each unit's cross-unit errors added (its stack dropped when it has any).
    ``others``: the project's other units of the same environments, known but not planned. An
    environment where some stack did not load is not judged (its names are not all known)."""
    names: dict[str | None, set[str]] = {}
    unknown: set[str | None] = set()
    for item in (*planned, *others):
        env = item.unit.environment
        if item.stack is None:
            unknown.add(env)
        else:
            names.setdefault(env, set()).add(item.stack.name)
    out = []
    for item in planned:
        stack, env = item.stack, item.unit.environment
        if stack is None or env in unknown:
            out.append(item)
            continue
        here = names.get(env, set())
        problems = []
        for move in stack.moved:
            other = move.from_stack or move.to_stack
            if other is None or other in here:
                continue
            way = "from" if move.from_stack else "to"
            problems.append(Diagnostic(
                f"moved {move.address} {way} stack {show(other)}: no stack of {_where(env)} is named so, "
                "so the move could never complete", move.source,
                hint=f"the stacks of {_where(env)}: {', '.join(sorted(here))}"))
        if stack.renamed_from is not None and stack.renamed_from in here:
            problems.append(Diagnostic(
                f"renamedFrom {show(stack.renamed_from)}: that stack still exists in {_where(env)}; a rename "
                "takes everything it owns", stack.source,
                hint="remove the old stack from cmqinfra.yaml in the same change, or use moved entries"))
        if problems:
            item = replace(item, stack=None, diagnostics=(*item.diagnostics, *problems))
        out.append(item)
    return out
