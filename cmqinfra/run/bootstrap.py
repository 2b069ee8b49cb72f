"""Ready hooks for ``cmqinfra emulator --apply``: apply manifests to an emulator this process just
started, before it is announced, so a test suite that waits for the ready line finds its queues,
topics and subscriptions there.

Each PATH is one stack (a file, or a directory whose files are merged, as ``apply`` reads it).
Two PATHs naming the same stack are refused: applied one after the other, the second would
delete what the first created.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from cmqinfra.model import Stack
from cmqinfra.run.executor import execute
from cmqinfra.run.session import Failure, compute


@dataclass(frozen=True)
class StackToApply:
    path: str
    stack: Stack


@dataclass(frozen=True)
class Applied:
    path: str
    stack: str
    added: int
    changed: int
    destroyed: int


def load_stacks(paths: Sequence[str]) -> tuple[StackToApply, ...]:
    """Every PATH loaded as its own stack; diagnostics printed and Failure raised on any error."""
    from cmqinfra.manifest import load_stack

    loaded: list[StackToApply] = []
    failed = 0
    for path in paths:
        result = load_stack([path])
        for d in result.diagnostics:
            click.echo(d.render(), err=True)
        errors = [d for d in result.diagnostics if d.severity.value == "error"]
        if errors or result.stack is None:
            failed += len(errors) or 1
            continue
        loaded.append(StackToApply(path, result.stack))
    if failed:
        raise Failure(f"{failed} error(s) in the manifests; the emulator was not started")
    seen: dict[str, str] = {}
    for item in loaded:
        first = seen.setdefault(item.stack.name, item.path)
        if first != item.path:
            raise Failure(
                f"{first} and {item.path} both declare stack {item.stack.name!r}: give one PATH per "
                "stack (a directory holds a stack split over several files)"
            )
    return tuple(loaded)


def apply_stacks(
    stacks: Sequence[StackToApply], url: str, credentials: tuple[str, str], region: str
) -> tuple[Applied, ...]:
    """Plan and apply each stack against the emulator at ``url``, in its manifest's region (the
    emulator serves every region; ``region`` for a manifest that names none); Failure names the
    first problem."""
    from contextlib import ExitStack

    from cmqinfra.cloud.target import Target, open_api

    applied: list[Applied] = []
    with ExitStack() as apis:
        opened: dict[str, Any] = {}
        for item in stacks:
            where = item.stack.region or region
            if where not in opened:
                opened[where] = apis.enter_context(
                    open_api(Target.endpoint(url), where, credentials=(*credentials, None)))
            api = opened[where]
            plan = compute(item.stack, api, where)
            if not plan.ok:
                first = plan.errors[0]
                raise Failure(f"{item.path}: stack {item.stack.name!r} cannot be applied: {first.message}")
            report = execute(plan, api)
            if not report.ok:
                failed = report.failed[0] if report.failed else None
                why = f"{failed.address}: {failed.error}" if failed else "interrupted"
                raise Failure(f"{item.path}: applying stack {item.stack.name!r} failed: {why}")
            s = plan.summary
            applied.append(Applied(item.path, item.stack.name, s.add, s.change, s.destroy))
    return tuple(applied)
