"""Resources this account's ownership tags give to a stack that no unit of the project is any more.

Dropping an environment from a stack, changing an environment's name prefix or suffix, or
renaming a stack without ``renamedFrom`` leaves what the old unit owned tagged with a stack name
nothing plans: never deleted, never changed, never shown. A whole-project run finds them without
a call per resource: the account counts every read already asks for say how many queues and
topics carry any ownership tag; when that is more than the units read own, one tag-filtered
listing names them. They are reported, in the plan and in the comment, never deleted: the same
account may hold another project's stacks, which this project must not touch. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_SHOWN = 5


@dataclass(frozen=True)
class Orphans:
    owner: str  # the stack name the tags carry
    where: str  # the target and region, as the plan's header names them
    addresses: tuple[str, ...]


def find(listed: Iterable[tuple[str, str, str]], known: set[str], where: str) -> list[Orphans]:
    """``listed``: (type, name, owner) of every owned resource of one account and region;
    ``known``: every stack name (and previous name) of the project's units there."""
    by_owner: dict[str, list[str]] = {}
    for kind, name, owner in listed:
        if owner not in known:
            by_owner.setdefault(owner, []).append(f"{kind}/{name}")
    return [Orphans(owner, where, tuple(sorted(addresses))) for owner, addresses in sorted(by_owner.items())]


def _plain(text: str) -> str:
    """A name from live tags, shown in plain characters only (it is untrusted)."""
    return re.sub(r"[^A-Za-z0-9._/-]", "?", text)[:80]


def describe(found: Orphans) -> str:
    """One paragraph: what, where, why, and what to do."""
    shown = ", ".join(_plain(a) for a in found.addresses[:_SHOWN])
    more = f" and {len(found.addresses) - _SHOWN} more" if len(found.addresses) > _SHOWN else ""
    owner = _plain(found.owner)
    where = re.sub(r"[^A-Za-z0-9._/:, -]", "?", found.where)[:200]  # an endpoint from cmqinfra.yaml
    return (f"{len(found.addresses)} resource(s) on {where} are tagged as owned by stack {owner!r}, "
            f"which no stack of this project is ({shown}{more}): an environment or stack removed, a "
            "namePrefix/nameSuffix changed, or a stack renamed without renamedFrom. They are not managed "
            f"and are left as they are. To take them over, give the stack that should own them "
            f"`renamedFrom: {owner}` (or `moved` entries with fromStack); to delete them, put the old "
            "unit back and run `cmqinfra destroy --stack NAME --env ENV` before removing it.")


def notes(found: Sequence[Orphans]) -> list[str]:
    return [describe(f) for f in found]
