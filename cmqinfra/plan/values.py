"""The plan as values: what would change, and why, computed once and rendered many ways.

Terraform separates computing a plan from rendering it; so do we. Renderers (text, JSON,
markdown) and the executor read these values and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.live import LiveState
from cmqinfra.model import Queue, Resource, Stack, Subscription, Topic

ResourceType = Literal["queue", "topic", "subscription"]


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    ADOPT = "adopt"
    # Refactoring: ownership changes, the resource is never deleted or re-created.
    MOVE = "move"  # into this stack from another one (or from the stack's previous name)
    MOVE_OUT = "move-out"  # to another stack: this stack keeps its hands off, nothing is called
    RELEASE = "release"  # no longer managed: ownership tags removed, the resource kept
    IMPORT = "import"  # adopted by declaration (an `import` entry)
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
    Action.MOVE: "=>",
    Action.MOVE_OUT: "=>",
    Action.RELEASE: ".",
    Action.IMPORT: "<-",
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
    # The live value moved away from the one the manifest had when it was last applied: the
    # change sets back something changed outside cmqinfra (see cmqinfra/plan/drift.py).
    outside: bool = False


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
    moved_from: str | None = None  # MOVE: the stack that owned it
    moved_to: str | None = None  # MOVE_OUT: the stack that takes it
    import_id: str | None = None  # IMPORT: the live id (QueueId / TopicId)
    deleted_outside: bool = False  # CREATE of a resource the last applied manifest had: deleted outside

    @property
    def outside_paths(self) -> tuple[str, ...]:
        """The attributes this change sets back after they were changed outside cmqinfra."""
        return tuple(a.path for a in self.attribute_changes if a.outside)

    @property
    def drifted(self) -> bool:
        return self.deleted_outside or any(a.outside for a in self.attribute_changes)

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
    move: int = 0  # in or out
    release: int = 0
    import_: int = 0

    @property
    def total(self) -> int:
        return self.add + self.change + self.destroy + self.adopt + self.move + self.release + self.import_


class _LiveFingerprint:
    """``Plan.fingerprint``: as given, or for a plan given its ``live`` state and no fingerprint,
    worked out from that state the first time it is read. A plan that is only shown (``plan``
    without ``-out``) never reads it, and hashing every live resource of an account-size stack
    was a quarter of the diff's time."""

    def __get__(self, plan: Plan | None, owner: type | None = None) -> str:
        if plan is None:
            return ""  # the field's default
        given: str = plan.__dict__["_fingerprint"]
        if given or plan.live is None:
            return given
        from cmqinfra.plan.fingerprint import fingerprint

        worked = plan.__dict__["_fingerprint"] = fingerprint(plan.live)
        return worked

    def __set__(self, plan: Plan, value: str) -> None:
        plan.__dict__["_fingerprint"] = value


@dataclass(frozen=True)
class Plan:
    """A computed plan. ``fingerprint`` is the sha256 of the canonical live state it was
    computed from (given, or worked out from ``live`` when first read); ``errors`` are safety
    refusals (a plan with errors must not be applied)."""

    stack: Stack
    region: str | None
    changes: tuple[ResourceChange, ...]
    fingerprint: str = _LiveFingerprint()  # type: ignore[assignment]
    warnings: tuple[Diagnostic, ...] = ()
    errors: tuple[Diagnostic, ...] = ()
    destroy: bool = field(default=False)
    region_source: str | None = None  # where the region came from (cmqinfra/run/region.py)
    data_loss: tuple[DataLoss, ...] = ()  # queues holding messages that this plan deletes or replaces
    # A partial plan (--target): only these addresses and what they need were read and planned.
    targets: tuple[str, ...] = ()
    # The live state the plan was computed from, for its fingerprint; not part of its value.
    live: LiveState | None = field(default=None, compare=False, repr=False)

    @property
    def partial(self) -> bool:
        return bool(self.targets)

    @property
    def summary(self) -> PlanSummary:
        """Counts like Terraform's: a replacement is one to add and one to destroy; an adoption
        (or import, or move in) that also changes attributes is one of those and one to change.
        Protection alone is not a change there: it rides on the ownership tags the adoption writes
        (Terraform's ``prevent_destroy`` imported is no change to the resource either)."""
        add = change = destroy = adopt = move = release = import_ = 0
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
                if _changes_more_than_protection(c):
                    change += 1
            elif c.action in (Action.MOVE, Action.MOVE_OUT):
                move += 1
                if _changes_more_than_protection(c):
                    change += 1
            elif c.action is Action.RELEASE:
                release += 1
            elif c.action is Action.IMPORT:
                import_ += 1
                if _changes_more_than_protection(c):
                    change += 1
        return PlanSummary(
            add=add, change=change, destroy=destroy, adopt=adopt, move=move, release=release, import_=import_
        )

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


def _changes_more_than_protection(change: ResourceChange) -> bool:
    return any(a.path != "protect" for a in change.attribute_changes)
