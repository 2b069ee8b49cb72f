"""The built-in rules: each looks at one resource (or one planned change) and says what is wrong.

Pure functions of model values and a policy's parameters; scoping, exceptions and locations are
``cmqinfra.policy.check``'s. Patterns and host globs come from the repository, so a pattern is
matched with a time limit (names are short, but a pattern may backtrack without end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

import regex

from cmqinfra.model import Policy, Protocol, Queue, Resource, Stack, Subscription, Topic
from cmqinfra.plan.values import Action, ResourceChange

PATTERN_TIMEOUT = 0.05  # seconds per name

STACK_RULES = (
    "deadLetterRequired",
    "protectRequired",
    "retentionBounds",
    "rewindBounds",
    "naming",
    "httpEndpointHosts",
    "requiredTags",
)
PLAN_RULES = ("forbiddenActions",)

# The parameters each rule reads (besides the common ones): any other is an error where written.
PARAMETERS: dict[str, frozenset[str]] = {
    "deadLetterRequired": frozenset({"maxReceiveCount", "maxTimeToLive"}),
    "protectRequired": frozenset({"kinds"}),
    "retentionBounds": frozenset({"kinds", "min", "max"}),
    "rewindBounds": frozenset({"min", "max"}),
    "naming": frozenset({"kinds", "pattern"}),
    "httpEndpointHosts": frozenset({"hosts", "requireHttps"}),
    "requiredTags": frozenset({"kinds", "tags"}),
    "forbiddenActions": frozenset({"kinds", "actions"}),
}
REQUIRED: dict[str, frozenset[str]] = {
    "naming": frozenset({"pattern"}),
    "httpEndpointHosts": frozenset({"hosts"}),
    "requiredTags": frozenset({"tags"}),
    "forbiddenActions": frozenset({"actions"}),
}
_DEFAULT_KINDS: dict[str, tuple[str, ...]] = {
    "protectRequired": ("queue", "topic"),
    "retentionBounds": ("queue", "topic"),
    "naming": ("queue", "topic", "subscription"),
    "requiredTags": ("queue", "topic"),
    "forbiddenActions": ("queue", "topic", "subscription"),
}


def kind_of(resource: Resource) -> str:
    return (
        "queue" if isinstance(resource, Queue) else "topic" if isinstance(resource, Topic) else "subscription"
    )


def kinds(policy: Policy) -> tuple[str, ...]:
    return tuple(policy.param("kinds") or _DEFAULT_KINDS.get(policy.rule, ("queue", "topic", "subscription")))


def resources_of(stack: Stack) -> Iterator[Resource]:
    yield from stack.queues
    yield from stack.topics
    yield from stack.subscriptions


Check = Callable[[Policy, Resource, Stack], list[str]]


def _dead_letter(policy: Policy, resource: Resource, stack: Stack) -> list[str]:
    if not isinstance(resource, Queue):
        return []
    used_as_dead_letter = {q.dead_letter.queue.casefold() for q in stack.queues if q.dead_letter is not None}
    if resource.name.casefold() in used_as_dead_letter:
        return []  # a dead-letter queue needs none of its own
    dl = resource.dead_letter
    if dl is None:
        return ["has no dead-letter queue (deadLetter)"]
    out = []
    most = policy.param("maxReceiveCount")
    if most is not None and dl.max_receive_count is not None and dl.max_receive_count > most:
        out.append(f"deadLetter.maxReceiveCount is {dl.max_receive_count}, above the allowed {most}")
    longest = policy.param("maxTimeToLive")
    if longest is not None and dl.max_time_to_live is not None and dl.max_time_to_live > longest:
        out.append(f"deadLetter.maxTimeToLive is {dl.max_time_to_live}, above the allowed {longest}")
    return out


def _protect(policy: Policy, resource: Resource, stack: Stack) -> list[str]:
    if isinstance(resource, Subscription) or resource.protect:
        return []
    return ["is not protected (protect: true)"]


def _bounds(value: int | None, policy: Policy, what: str) -> list[str]:
    if value is None:
        return []
    low, high = policy.param("min"), policy.param("max")
    if low is not None and value < low:
        return [f"{what} is {value}, below the allowed {low}"]
    if high is not None and value > high:
        return [f"{what} is {value}, above the allowed {high}"]
    return []


def _retention(policy: Policy, resource: Resource, stack: Stack) -> list[str]:
    if isinstance(resource, Subscription):
        return []
    return _bounds(resource.msg_retention_seconds, policy, "msgRetentionSeconds")


def _rewind(policy: Policy, resource: Resource, stack: Stack) -> list[str]:
    if not isinstance(resource, Queue):
        return []
    return _bounds(resource.rewind_seconds, policy, "rewindSeconds")


def _naming(policy: Policy, resource: Resource, stack: Stack) -> list[str]:
    pattern = str(policy.param("pattern"))
    try:
        matched = regex.fullmatch(pattern, resource.name, timeout=PATTERN_TIMEOUT) is not None
    except TimeoutError:
        return [f"name {resource.name!r} could not be checked: the pattern takes too long"]
    if matched:
        return []
    return [f"name {resource.name!r} does not match the pattern {pattern!r}"]


def host_allowed(host: str, allowed: tuple[str, ...] | list[str]) -> bool:
    host = host.casefold().rstrip(".")
    return any(fnmatchcase(host, pattern.casefold()) for pattern in allowed)


def _http_hosts(policy: Policy, resource: Resource, stack: Stack) -> list[str]:
    if not isinstance(resource, Subscription) or resource.protocol is not Protocol.HTTP:
        return []
    try:
        parts = urlsplit(resource.endpoint)
        host = parts.hostname or ""
    except ValueError:
        return [f"endpoint {resource.endpoint!r} has no host that can be checked"]
    out = []
    if policy.param("requireHttps") and parts.scheme.lower() != "https":
        out.append(f"endpoint {resource.endpoint!r} is not https")
    if not host_allowed(host, policy.param("hosts") or ()):
        out.append(
            f"endpoint host {host!r} is not among the allowed hosts ({', '.join(policy.param('hosts'))})"
        )
    return out


def _tags(policy: Policy, resource: Resource, stack: Stack) -> list[str]:
    if isinstance(resource, Subscription):
        return []
    have = {key for key, _ in resource.tags}
    missing = [key for key in policy.param("tags") or () if key not in have]
    return [f"lacks the required tag(s) {', '.join(missing)}"] if missing else []


RESOURCE_CHECKS: dict[str, Check] = {
    "deadLetterRequired": _dead_letter,
    "protectRequired": _protect,
    "retentionBounds": _retention,
    "rewindBounds": _rewind,
    "naming": _naming,
    "httpEndpointHosts": _http_hosts,
    "requiredTags": _tags,
}

_ACTION_WORDS = {Action.DELETE: "delete", Action.REPLACE: "replace"}


def forbidden_action(policy: Policy, change: ResourceChange) -> str | None:
    word = _ACTION_WORDS.get(change.action)
    if word is None or word not in (policy.param("actions") or ()):
        return None
    if change.type not in kinds(policy):
        return None
    return f"the plan would {word} it, which this policy forbids"
