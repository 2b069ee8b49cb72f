"""The service's dead-letter rules across the stacks of one target (endpoint, account, region).

One stack's manifest is checked on its own (cmqinfra/manifest/checks.py); in a project, a queue
of one stack may name another stack's queue as its dead-letter queue. The cloud then refuses the
same things: a dead-letter queue that has one itself (they do not nest), and a 7th source queue
on one dead-letter queue. Only what crosses stacks is reported here, at the source queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.checks import MAX_DEAD_LETTER_SOURCES
from cmqinfra.manifest.schema import show
from cmqinfra.model import Queue, Stack


@dataclass(frozen=True)
class _Placed:
    unit: int  # index of the unit in the list given
    queue: Queue


def shared_dead_letter_problems(
    stacks: Sequence[tuple[object, Stack | None]],
) -> list[tuple[int, Diagnostic]]:
    """(unit index, diagnostic) for every cross-stack breach; ``stacks`` pairs each unit's target
    key with its stack (None when it failed already)."""
    groups: dict[object, list[_Placed]] = {}
    for index, (target, stack) in enumerate(stacks):
        if stack is None:
            continue
        groups.setdefault(target, []).extend(_Placed(index, queue) for queue in stack.queues)
    out: list[tuple[int, Diagnostic]] = []
    for placed in groups.values():
        out.extend(_check_group(placed))
    return out


def _check_group(placed: list[_Placed]) -> list[tuple[int, Diagnostic]]:
    by_name = {item.queue.name.lower(): item for item in placed}
    out: list[tuple[int, Diagnostic]] = []
    sources: dict[str, list[_Placed]] = {}
    for item in placed:
        dead = item.queue.dead_letter
        if dead is None or dead.queue.lower() == item.queue.name.lower():
            continue
        sources.setdefault(dead.queue.lower(), []).append(item)
        target = by_name.get(dead.queue.lower())
        if target is None or target.unit == item.unit or target.queue.dead_letter is None:
            continue
        further = target.queue.dead_letter.queue
        if further.lower() == item.queue.name.lower():
            continue  # a loop: each side's own manifest check or the other report names it
        out.append((item.unit, Diagnostic(
            f"queue {show(item.queue.name)} uses {show(target.queue.name)} (another stack) as its "
            f"dead-letter queue, but {show(target.queue.name)} has a dead-letter queue itself "
            f"({show(further)}): dead-letter queues do not nest", item.queue.source)))
    for name, users in sources.items():
        if len(users) <= MAX_DEAD_LETTER_SOURCES or len({u.unit for u in users}) < 2:
            continue  # within one stack, its manifest check has said it
        shown = by_name[name].queue.name if name in by_name else name
        for extra in users[MAX_DEAD_LETTER_SOURCES:]:
            out.append((extra.unit, Diagnostic(
                f"dead-letter queue {show(shown)} would serve {len(users)} source queues across the "
                f"project's stacks; the service allows at most {MAX_DEAD_LETTER_SOURCES}",
                extra.queue.source)))
    return out
