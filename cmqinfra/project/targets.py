"""``--target`` in project mode: ``STACK[ENV]:ADDRESS`` names one resource of one unit.

The address is the unit's own (``queue/NAME``, ``topic/NAME``, ``subscription/TOPIC/NAME``),
written as that unit's plan shows it: with the environment's name affixes. ``STACK:ADDRESS`` is
enough when the stack has one unit (a project without environments, or a stack in one). Only the
targeted units are planned, each partially, as a single stack's ``--target`` is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cmqinfra.plan.targets import parse_target
from cmqinfra.project.units import ProjectError, StackUnit

_UNIT = re.compile(r"(?P<stack>[^\[\]:\s]+)(?:\[(?P<env>[^\[\]:\s]+)\])?:(?P<address>.+)")
FORM = "STACK[ENV]:ADDRESS (e.g. payments[prod]:queue/orders)"


@dataclass(frozen=True)
class ProjectTarget:
    stack: str
    environment: str | None
    address: str

    def __str__(self) -> str:
        unit = f"{self.stack}[{self.environment}]" if self.environment else self.stack
        return f"{unit}:{self.address}"


def is_project_target(text: str) -> bool:
    """A target naming its stack (``STACK[ENV]:``), as opposed to a single stack's address."""
    return ":" in text


def parse_project_target(text: str) -> ProjectTarget:
    """``STACK[ENV]:ADDRESS``, or ValueError naming the accepted form."""
    found = _UNIT.fullmatch(text)
    if found is None:
        raise ValueError(f"--target {text!r} is not a project address: use {FORM}")
    try:
        address = parse_target(found["address"])
    except ValueError as exc:
        raise ValueError(f"--target {text!r}: {str(exc).split(': ', 1)[-1]}") from None
    return ProjectTarget(found["stack"], found["env"], address)


def targets_by_unit(
    units: Sequence[StackUnit], targets: Iterable[ProjectTarget]
) -> dict[str, tuple[str, ...]]:
    """Each targeted unit's key and its addresses, in the order given. ProjectError for a target
    that names no unit of ``units``, or a stack with several units and no environment."""
    out: dict[str, list[str]] = {}
    for target in targets:
        matching = [u for u in units if u.stack_name == target.stack
                    and (target.environment is None or u.environment == target.environment)]
        if not matching:
            known = ", ".join(sorted({u.key for u in units})) or "none"
            raise ProjectError(f"--target {target}: no stack {_unit_name(target)} in the project "
                               f"(stacks: {known})")
        if len(matching) > 1:
            keys = ", ".join(u.key for u in matching)
            raise ProjectError(f"--target {target}: stack {target.stack!r} is in several environments "
                               f"({keys}): name one, as {FORM}")
        addresses = out.setdefault(matching[0].key, [])
        if target.address not in addresses:
            addresses.append(target.address)
    return {key: tuple(addresses) for key, addresses in out.items()}


def _unit_name(target: ProjectTarget) -> str:
    return f"{target.stack}[{target.environment}]" if target.environment else repr(target.stack)
