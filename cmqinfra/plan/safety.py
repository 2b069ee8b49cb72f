"""Nothing is lost: the checks that turn a dangerous change into a plan error."""

from __future__ import annotations

from dataclasses import dataclass

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.live import LiveState, name_key
from cmqinfra.model import Protocol, Queue, Subscription
from cmqinfra.plan.values import Action, DataLoss, ResourceChange

_DESTRUCTIVE = (Action.DELETE, Action.REPLACE)


@dataclass(frozen=True)
class SafetyOptions:
    allow_data_loss: bool = False
    # Set when a saved plan is applied: the queues whose data loss its reviewer approved. Only
    # these may lose messages; any other is refused, whatever ``allow_data_loss`` says.
    approved: frozenset[str] | None = None

    def approves(self, address: str) -> bool:
        if self.approved is not None:
            return address.casefold() in {a.casefold() for a in self.approved}
        return self.allow_data_loss


def _location(change: ResourceChange):  # type: ignore[no-untyped-def]
    return change.after.source if change.after is not None else None


def _verb(change: ResourceChange) -> str:
    return "delete" if change.action is Action.DELETE else "replace"


def _protection(change: ResourceChange, live: LiveState) -> Diagnostic | None:
    key = name_key(change.name)
    if change.type == "queue":
        lq = live.queues.get(key)
        protected = lq is not None and lq.protected
    elif change.type == "topic":
        lt = live.topics.get(key)
        protected = lt is not None and lt.protected
    else:
        return None
    # The tag on the live resource is what counts, so dropping the manifest entry does not
    # lift the protection; a manifest that newly asks for protection counts too.
    wanted = change.after is not None and change.after.protect  # type: ignore[union-attr]
    if not (protected or wanted):
        return None
    return Diagnostic(
        f"{change.address} is protected; this plan would {_verb(change)} it",
        _location(change),
        hint="first apply the resource with `protect: false`, then remove or change it",
    )


def _data_loss(change: ResourceChange, live: LiveState, options: SafetyOptions) -> Diagnostic | None:
    if change.type != "queue" or options.approves(change.address):
        return None
    lq = live.queues.get(name_key(change.name))
    if lq is None or lq.messages.total == 0:
        return None
    m = lq.messages
    if options.approved is not None:
        hint = (
            "its data loss was not approved in the saved plan: drain it, or plan again with "
            "--allow-data-loss"
        )
    else:
        hint = "drain the queue, or pass --allow-data-loss"
    return Diagnostic(
        f"{change.address} holds {m.total} message(s) (active {m.active}, in flight {m.inactive}, "
        f"delayed {m.delayed}); this plan would {_verb(change)} it",
        _location(change),
        hint=hint,
    )


def data_losses(changes: list[ResourceChange], live: LiveState, options: SafetyOptions) -> list[DataLoss]:
    """Every queue the plan deletes or replaces while it holds messages, approved or not."""
    out = []
    for change in changes:
        if change.type != "queue" or change.action not in _DESTRUCTIVE:
            continue
        lq = live.queues.get(name_key(change.name))
        if lq is None or lq.messages.total == 0:
            continue
        m = lq.messages
        approved = options.approves(change.address)
        out.append(DataLoss(change.address, change.action, m.active, m.inactive, m.delayed, approved))
    return out


def _still_used(change: ResourceChange, changes: list[ResourceChange], live: LiveState) -> Diagnostic | None:
    """A deleted queue that something the plan does not also change away still uses."""
    if change.type != "queue":
        return None
    if change.action is Action.REPLACE:
        return _replaced_dead_letter(change, changes, live)
    key = name_key(change.name)
    lq = live.queues.get(key)
    if lq is None:
        return None
    released: set[str] = set()
    for c in changes:
        after = c.after
        if c.action is Action.DELETE:
            released.add(c.address.casefold())
        elif isinstance(after, Queue) and (
            after.dead_letter is None or name_key(after.dead_letter.queue) != key
        ):
            released.add(c.address.casefold())
        elif isinstance(after, Subscription) and (
            after.protocol is not Protocol.QUEUE or name_key(after.endpoint) != key
        ):
            released.add(c.address.casefold())
    users = [f"queue/{s}" for s in lq.dead_letter_sources]
    users += list(live.endpoint_users.get(key, ()))
    remaining = sorted(
        u for u in users if u.casefold() not in released and u.casefold() != change.address.casefold()
    )
    if not remaining:
        return None
    return Diagnostic(
        f"{change.address} is still used by {', '.join(remaining)} "
        "(as dead letter or subscription endpoint); "
        "it will not be deleted",
        # no location: a deleted queue has no manifest entry to point at
        hint="point those users elsewhere first",
    )


def _replaced_dead_letter(
    change: ResourceChange, changes: list[ResourceChange], live: LiveState
) -> Diagnostic | None:
    """The service refuses to delete a queue that is still some queue's dead letter, and a
    replacement starts with a delete: the sources must be unbound in an earlier apply."""
    key = name_key(change.name)
    lq = live.queues.get(key)
    if lq is None or not lq.dead_letter_sources:
        return None
    after_of = {c.address.casefold(): c for c in changes}
    bound = []
    for source in lq.dead_letter_sources:
        c = after_of.get(f"queue/{source}".casefold())
        if c is not None and c.action is Action.DELETE:
            continue
        after = c.after if c is not None else None
        if isinstance(after, Queue) and (
            after.dead_letter is None or name_key(after.dead_letter.queue) != key
        ):
            continue
        bound.append(f"queue/{source}")
    if not bound:
        return None
    return Diagnostic(
        f"{change.address} must be replaced but is the dead letter of {', '.join(sorted(bound))}; "
        "the service does not delete a bound dead-letter queue",
        _location(change),
        hint="remove deadLetter from those queues and apply, then apply this change",
    )


def check_safety(changes: list[ResourceChange], live: LiveState, options: SafetyOptions) -> list[Diagnostic]:
    errors: list[Diagnostic] = []
    for change in changes:
        if change.action not in _DESTRUCTIVE:
            continue
        for found in (
            _protection(change, live),
            _data_loss(change, live, options),
            _still_used(change, changes, live),
        ):
            if found is not None:
                errors.append(found)
    return errors
