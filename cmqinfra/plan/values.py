"""The plan as values: what would change, and why, computed once and rendered many ways.

Terraform separates computing a plan from rendering it; so do we. Renderers (text, JSON,
markdown) and the executor read these values and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.model import Queue, Resource, Stack, Subscription, Topic

ResourceType = Literal["queue", "topic", "subscription"]


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    ADOPT = "adopt"
    NO_OP = "no-op"

    @property
    def symbol(self) -> str:
        """The Terraform-style marker shown before the address."""
        return _SYMBOLS[self]


_SYMBOLS = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.ADOPT: "<=",
    Action.NO_OP: " ",
}


@dataclass(frozen=True)
class AttributeChange:
    """One attribute that differs. ``path`` is in manifest spelling: ``visibilityTimeout``,
    ``deadLetter.maxReceiveCount``, ``tags.team``. ``before`` / ``after`` are plain JSON values
    (None when the attribute is absent on that side)."""

    path: str
    before: Any
    after: Any
    forces_replacement: bool = False


@dataclass(frozen=True)
class ResourceChange:
    address: str
    type: ResourceType
    name: str
    action: Action
    before: Resource | None
    after: Resource | None
    attribute_changes: tuple[AttributeChange, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def replace_paths(self) -> tuple[str, ...]:
        return tuple(c.path for c in self.attribute_changes if c.forces_replacement)

    @property
    def is_change(self) -> bool:
        return self.action is not Action.NO_OP


@dataclass(frozen=True)
class DataLoss:
    """A queue this plan deletes or replaces while it holds messages (counts at plan time), and
    whether that loss is approved (``--allow-data-loss``, or this queue approved in a saved plan)."""

    address: str
    action: Action  # DELETE or REPLACE
    active: int
    inactive: int  # in flight: received, not yet deleted
    delayed: int
    approved: bool

    @property
    def total(self) -> int:
        return self.active + self.inactive + self.delayed

    def describe(self) -> str:
        verb = "deleted" if self.action is Action.DELETE else "replaced"
        return (
            f"{self.address} will be {verb} with {self.total} message(s): active {self.active}, "
            f"in flight {self.inactive}, delayed {self.delayed}"
        )


@dataclass(frozen=True)
class PlanSummary:
    add: int = 0
    change: int = 0
    destroy: int = 0
    adopt: int = 0

    @property
    def total(self) -> int:
        return self.add + self.change + self.destroy + self.adopt


@dataclass(frozen=True)
class Plan:
    """A computed plan. ``fingerprint`` is the sha256 of the canonical live state it was
    computed from; ``errors`` are safety refusals (a plan with errors must not be applied)."""

    stack: Stack
    region: str | None
    changes: tuple[ResourceChange, ...]
    fingerprint: str
    warnings: tuple[Diagnostic, ...] = ()
    errors: tuple[Diagnostic, ...] = ()
    destroy: bool = field(default=False)
    region_source: str | None = None  # where the region came from (cmqinfra/run/region.py)
    data_loss: tuple[DataLoss, ...] = ()  # queues holding messages that this plan deletes or replaces

    @property
    def summary(self) -> PlanSummary:
        """Counts like Terraform's: a replacement is one to add and one to destroy; an adoption
        that also changes attributes is one to adopt and one to change (import + update)."""
        add = change = destroy = adopt = 0
        for c in self.changes:
            if c.action is Action.CREATE:
                add += 1
            elif c.action is Action.UPDATE:
                change += 1
            elif c.action is Action.DELETE:
                destroy += 1
            elif c.action is Action.REPLACE:
                add += 1
                destroy += 1
            elif c.action is Action.ADOPT:
                adopt += 1
                if c.attribute_changes:
                    change += 1
        return PlanSummary(add=add, change=change, destroy=destroy, adopt=adopt)

    @property
    def has_changes(self) -> bool:
        return any(c.is_change for c in self.changes)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def approved_data_loss(self) -> tuple[str, ...]:
        """The queues whose data loss this plan approves (recorded in a saved plan)."""
        return tuple(d.address for d in self.data_loss if d.approved)

    def change_for(self, address: str) -> ResourceChange | None:
        for c in self.changes:
            if c.address == address:
                return c
        return None


def resource_type(resource: Resource) -> ResourceType:
    if isinstance(resource, Queue):
        return "queue"
    if isinstance(resource, Topic):
        return "topic"
    if isinstance(resource, Subscription):
        return "subscription"
    raise TypeError(f"not a resource: {resource!r}")
