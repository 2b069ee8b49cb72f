"""Every API call cmqinfra makes, in one table: the least-privilege CAM policy is derived from it.

``TdmqApi`` refuses to send an action that is not listed here (``require``), so the table cannot
fall behind the code; ``cmqinfra cam-policy plan|apply`` prints the policy a key needs for each
command, and the emulator's ``--cam-policy FILE`` enforces such a policy the way CAM does, so a
test proves the policy is enough and nothing outside it is called.

Resources: CAM checks list and identity calls (Describe*, STS, the Tag service) against ``*``;
the calls that change one queue, topic or subscription are scoped to its six-segment resource
(``qcs::tdmq:REGION:uin/ACCOUNT:queue/NAME``, the forms of TDMQ for CMQ's CAM page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Command = Literal["plan", "apply"]
Kind = Literal["queue", "topic", "subscription"]
COMMANDS: tuple[Command, ...] = ("plan", "apply")


@dataclass(frozen=True)
class ApiCall:
    service: str  # CAM service prefix: tdmq, tag, sts
    action: str
    commands: frozenset[str]  # the commands that make it
    resource: Kind | None  # what it acts on; None: checked against "*"
    why: str

    @property
    def cam_action(self) -> str:
        return f"{self.service}:{self.action}"


_READ = frozenset({"plan", "apply"})
_WRITE = frozenset({"apply"})

CALLS: tuple[ApiCall, ...] = (
    ApiCall("tdmq", "DescribeCmqQueues", _READ, None, "read owned and named queues, and message counts"),
    ApiCall("tdmq", "DescribeCmqTopics", _READ, None, "read owned and named topics"),
    ApiCall("tdmq", "DescribeCmqSubscriptionDetail", _READ, None, "read subscriptions"),
    ApiCall("sts", "GetCallerIdentity", _READ, None, "bind a saved plan to the account, check it on apply"),
    ApiCall("tdmq", "CreateCmqQueue", _WRITE, "queue", "create"),
    ApiCall("tdmq", "ModifyCmqQueueAttribute", _WRITE, "queue", "update"),
    ApiCall("tdmq", "UnbindCmqDeadLetter", _WRITE, "queue", "remove a dead-letter policy"),
    ApiCall("tdmq", "DeleteCmqQueue", _WRITE, "queue", "delete, replace"),
    ApiCall("tdmq", "CreateCmqTopic", _WRITE, "topic", "create"),
    ApiCall("tdmq", "ModifyCmqTopicAttribute", _WRITE, "topic", "update"),
    ApiCall("tdmq", "DeleteCmqTopic", _WRITE, "topic", "delete, replace"),
    ApiCall("tdmq", "CreateCmqSubscribe", _WRITE, "subscription", "create"),
    ApiCall("tdmq", "ModifyCmqSubscriptionAttribute", _WRITE, "subscription", "update"),
    ApiCall("tdmq", "ClearCmqSubscriptionFilterTags", _WRITE, "subscription", "remove filter tags"),
    ApiCall("tdmq", "DeleteCmqSubscribe", _WRITE, "subscription", "delete, replace"),
    ApiCall("tag", "ModifyResourceTags", _WRITE, None,
            "adopt, import, move, release, protect, and tag changes"),
)

BY_ACTION = {c.action: c for c in CALLS}


class UnlistedCall(RuntimeError):
    """A programming error: the code calls an action the table (and so the policy) lacks."""


def require(action: str) -> ApiCall:
    try:
        return BY_ACTION[action]
    except KeyError:
        raise UnlistedCall(f"{action} is not in cmqinfra/cloud/calls.py: add it there, so the CAM policy "
                           "grants it") from None


def resource_name(kind: Kind | None, region: str, account: str, name: str) -> str:
    """The CAM six-segment resource (``*`` for calls CAM checks against every resource)."""
    if kind is None:
        return "*"
    return f"qcs::tdmq:{region}:uin/{account}:{kind}/{name}"


def policy_document(command: Command, region: str = "", account: str = "*") -> dict[str, Any]:
    """The least-privilege CAM policy for ``command`` (``region`` empty: every region)."""
    calls = [c for c in CALLS if command in c.commands]
    statements: list[dict[str, Any]] = []
    unscoped = sorted(c.cam_action for c in calls if c.resource is None)
    if unscoped:
        statements.append({"effect": "allow", "action": unscoped, "resource": ["*"]})
    for kind in ("queue", "topic", "subscription"):
        scoped = sorted(c.cam_action for c in calls if c.resource == kind)
        if scoped:
            where = "*/*" if kind == "subscription" else "*"
            statements.append({"effect": "allow", "action": scoped,
                               "resource": [resource_name(kind, region, account, where)]})  # type: ignore[arg-type]
    return {"version": "2.0", "statement": statements}
