"""A CAM policy enforced by the emulator (``cmqinfra emulator --cam-policy FILE``).

The document is CAM's JSON syntax: ``{"version": "2.0", "statement": [{"effect": "allow" |
"deny", "action": [...], "resource": [...]}]}`` (a single string is taken for a one-element
list). A call is allowed when an ``allow`` statement matches its action and resource and no
``deny`` statement does; everything else is answered ``AuthFailure.UnauthorizedOperation``, as CAM
answers. Actions are ``service:Action`` with ``*`` wildcards; resources are six-segment strings
matched segment by segment (an empty region or account segment in the policy matches any), or
``*``. Conditions and principals are not emulated: a policy that has them is refused at start.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from cmqinfra.cloud.calls import BY_ACTION, resource_name
from cmqinfra.emulator.errors import ApiError


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file and the place."""


@dataclass(frozen=True)
class Statement:
    allow: bool
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def matches(self, action: str, resource: str) -> bool:
        return (any(fnmatchcase(action.lower(), a.lower()) for a in self.actions)
                and any(_resource_matches(r, resource) for r in self.resources))


def _resource_matches(pattern: str, resource: str) -> bool:
    if pattern == "*" or pattern == resource:
        return True
    if resource == "*":
        return False  # a call checked against every resource needs "*" itself
    want = pattern.split(":", 5)
    have = resource.split(":", 5)
    if len(want) != 6 or len(have) != 6:
        return fnmatchcase(resource, pattern)
    for index, (w, h) in enumerate(zip(want, have, strict=True)):
        if w == "" and index in (3, 4):
            continue  # region or account left empty: any
        if index == 4 and w in ("uin/", "uin/*"):
            continue
        if not fnmatchcase(h, w):
            return False
    return True


@dataclass(frozen=True)
class CamPolicy:
    statements: tuple[Statement, ...]

    def allows(self, action: str, resource: str) -> bool:
        if any(not s.allow and s.matches(action, resource) for s in self.statements):
            return False
        return any(s.allow and s.matches(action, resource) for s in self.statements)

    def check(self, service: str, action: str, params: Mapping[str, Any], region: str, account: str) -> None:
        """Raise ``AuthFailure.UnauthorizedOperation`` when the policy does not allow the call."""
        cam_action = f"{service}:{action}"
        resource = resource_of(action, params, region, account)
        if not self.allows(cam_action, resource):
            raise ApiError("AuthFailure.UnauthorizedOperation",
                           f"you are not authorized to perform operation ({cam_action})\n"
                           f"resource ({resource}) has no permission")


def resource_of(action: str, params: Mapping[str, Any], region: str, account: str) -> str:
    call = BY_ACTION.get(action)
    kind = call.resource if call is not None else None
    if kind == "queue":
        name = str(params.get("QueueName") or params.get("SourceQueueName") or "")
    elif kind == "topic":
        name = str(params.get("TopicName") or "")
    elif kind == "subscription":
        name = f"{params.get('TopicName') or ''}/{params.get('SubscriptionName') or ''}"
    else:
        return "*"
    return resource_name(kind, region, account, name)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise PolicyError(f"{where}: expected a string or a non-empty list of strings")


def parse_policy(text: str, name: str) -> CamPolicy:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise PolicyError(f"{name}:{line or 1}: not JSON: {getattr(exc, 'msg', exc)}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("statement"), list):
        raise PolicyError(f"{name}: a CAM policy is an object with a `statement` list")
    statements = []
    for index, raw in enumerate(doc["statement"]):
        where = f"{name}: statement[{index}]"
        if not isinstance(raw, dict):
            raise PolicyError(f"{where}: expected an object")
        unknown = set(raw) - {"effect", "action", "resource"}
        if unknown:
            raise PolicyError(f"{where}: {', '.join(sorted(unknown))} not emulated (effect, action and "
                              "resource are)")
        effect = raw.get("effect")
        if effect not in ("allow", "deny"):
            raise PolicyError(f"{where}.effect: expected \"allow\" or \"deny\"")
        statements.append(Statement(effect == "allow", _strings(raw.get("action"), f"{where}.action"),
                                    _strings(raw.get("resource"), f"{where}.resource")))
    return CamPolicy(tuple(statements))


def load_policy(path: str | Path) -> CamPolicy:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read the CAM policy {path}: {exc.strerror or exc}") from None
    return parse_policy(text, str(path))
