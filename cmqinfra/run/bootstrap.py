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


def check_regions(stacks: Sequence[StackToApply], region: str) -> None:
    """The emulator serves one region; a manifest pinned to another could never be applied to it."""
    for item in stacks:
        if item.stack.region is not None and item.stack.region != region:
            raise Failure(
                f"{item.path}: stack {item.stack.name!r} is for region {item.stack.region}, the emulator "
                f"serves {region} (pass --region {item.stack.region})"
            )


def apply_stacks(
    stacks: Sequence[StackToApply], url: str, credentials: tuple[str, str], region: str
) -> tuple[Applied, ...]:
    """Plan and apply each stack against the emulator at ``url``; Failure names the first problem."""
    from cmqinfra.cloud.target import Target, open_api

    applied: list[Applied] = []
    with open_api(Target.endpoint(url), region, credentials=(*credentials, None)) as api:
        for item in stacks:
            plan = compute(item.stack, api, region)
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
