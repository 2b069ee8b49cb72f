"""The vocabulary of cmqinfra: the CMQ resources a stack declares, as frozen values.

Desired state (from manifests) and live state (from the API) are expressed in the same
types, so the diff compares like with like.

Convention for scalar attributes: ``None`` means "not managed" (the manifest leaves the
attribute alone, because the documentation gives no clear default for it). The manifest
loader fills every attribute that has a documented default, so an omitted attribute with a
default reverts to it. ``dead_letter=None`` and ``transaction=None`` mean "none", and empty
``filter_tags`` / ``binding_keys`` mean "no filter": those are never "left alone".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, TypeVar

# Tag keys cmqinfra writes on the resources it owns (kubectl ApplySet style: ownership lives
# on the object itself, never guessed from names).
STACK_TAG = "cmqinfra-stack"
PROTECT_TAG = "cmqinfra-protect"
RESERVED_TAG_PREFIX = "cmqinfra-"

Tags = tuple[tuple[str, str], ...]

_T = TypeVar("_T")
_new = object.__new__
_set_dict = object.__setattr__  # a frozen dataclass refuses its own __setattr__


def assembled(cls: type[_T], values: dict[str, Any]) -> _T:
    """An instance of the frozen dataclass ``cls`` from ``values``, which names every one of its
    fields, without its generated ``__init__``: that sets each field through
    ``object.__setattr__`` (2 us for a queue's 15; this takes a tenth of it). For the values
    made once per resource of a load or a plan. The instance is the one ``cls(**values)`` makes
    (none of these classes has a ``__post_init__``); tests hold every caller to that. ``values``
    becomes the instance's own dict, not a copy of it: every caller passes one it made for it."""
    made = _new(cls)
    _set_dict(made, "__dict__", values)
    return made


def tags_of(mapping: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> Tags:
    """Canonical, hashable form of a tag set: sorted (key, value) pairs."""
    if not mapping:
        return ()
    # A dict first: the Mapping check goes through the ABC machinery, once per resource.
    items = mapping.items() if isinstance(mapping, dict) or isinstance(mapping, Mapping) else mapping
    return tuple(sorted([(str(k), str(v)) for k, v in items]))


@dataclass(frozen=True)
class SourceLocation:
    """Where a manifest node was written (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class _Choice(str, Enum):
    """A closed set of manifest words. ``repr`` is kept cheap and exact: plan fingerprints repr
    every live resource, and Enum's own repr costs more than the rest of the value's."""

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}.{self._name_}"


class FilterType(_Choice):
    """How a topic matches messages to subscriptions (API FilterType 1 / 2)."""

    TAG = "tag"
    ROUTING_KEY = "routingKey"

    @property
    def api_value(self) -> int:
        return 1 if self is FilterType.TAG else 2

    @classmethod
    def from_api(cls, value: int | None) -> FilterType:
        return cls.ROUTING_KEY if value == 2 else cls.TAG


class Protocol(_Choice):
    QUEUE = "queue"
    HTTP = "http"


class NotifyStrategy(_Choice):
    BACKOFF_RETRY = "BACKOFF_RETRY"
    EXPONENTIAL_DECAY_RETRY = "EXPONENTIAL_DECAY_RETRY"


class NotifyContentFormat(_Choice):
    JSON = "JSON"
    SIMPLIFIED = "SIMPLIFIED"


@dataclass(frozen=True)
class DeadLetter:
    """A queue's dead-letter policy: exactly one of the two limits is set.

    ``max_receive_count`` is API Policy 0, ``max_time_to_live`` is API Policy 1.
    """

    queue: str
    max_receive_count: int | None = None
    max_time_to_live: int | None = None

    @property
    def api_policy(self) -> int:
        return 1 if self.max_time_to_live is not None else 0


@dataclass(frozen=True)
class Transaction:
    """A transaction queue's back-check policy."""

    first_query_interval: int | None = None
    max_query_count: int | None = None


@dataclass(frozen=True)
class PolicyException:
    """A resource's declared exception to a project policy (``policyExceptions`` in its manifest
    entry): the violation is reported as waived, with the reason, instead of failing."""

    policy: str
    reason: str
    source: SourceLocation | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Policy:
    """One rule of ``policies:`` in cmqinfra.yaml, already scoped to the stack it is attached to
    (``cmqinfra.policy`` checks it; its parameters stay plain data, as written)."""

    id: str
    rule: str
    severity: str  # "error" | "warning"
    resources: tuple[str, ...] = ()  # address globs; empty: every resource
    params: tuple[tuple[str, Any], ...] = ()
    allow_exceptions: bool = True
    source: SourceLocation | None = field(default=None, compare=False)

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)


@dataclass(frozen=True)
class Queue:
    name: str
    visibility_timeout: int | None = None
    polling_wait_seconds: int | None = None
    msg_retention_seconds: int | None = None
    max_msg_heap_num: int | None = None
    max_msg_size: int | None = None
    rewind_seconds: int | None = None
    retention_size_in_mb: int | None = field(default=None, metadata={"key": "retentionSizeInMB"})
    trace: bool | None = None
    transaction: Transaction | None = None
    dead_letter: DeadLetter | None = None
    tags: Tags = ()
    protect: bool = False
    source: SourceLocation | None = field(default=None, compare=False, repr=False)
    exceptions: tuple[PolicyException, ...] = field(default=(), compare=False, repr=False)

    @property
    def address(self) -> str:
        return f"queue/{self.name}"


@dataclass(frozen=True)
class Topic:
    name: str
    filter_type: FilterType = FilterType.TAG
    max_msg_size: int | None = None
    msg_retention_seconds: int | None = None
    trace: bool | None = None
    tags: Tags = ()
    protect: bool = False
    source: SourceLocation | None = field(default=None, compare=False, repr=False)
    exceptions: tuple[PolicyException, ...] = field(default=(), compare=False, repr=False)

    @property
    def address(self) -> str:
        return f"topic/{self.name}"


@dataclass(frozen=True)
class Subscription:
    topic: str
    name: str
    protocol: Protocol
    endpoint: str
    notify_strategy: NotifyStrategy | None = None
    notify_content_format: NotifyContentFormat | None = None
    filter_tags: tuple[str, ...] = ()
    binding_keys: tuple[str, ...] = field(default=(), metadata={"key": "bindingKeys"})
    source: SourceLocation | None = field(default=None, compare=False, repr=False)
    exceptions: tuple[PolicyException, ...] = field(default=(), compare=False, repr=False)

    @property
    def address(self) -> str:
        return f"subscription/{self.topic}/{self.name}"


@dataclass(frozen=True)
class Moved:
    """A queue or topic changing stacks in place: exactly one of ``from_stack`` (declared by the
    receiving stack) or ``to_stack`` (declared by the giving stack) is set."""

    address: str  # queue/NAME or topic/NAME
    from_stack: str | None = None
    to_stack: str | None = None
    source: SourceLocation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Removed:
    """A queue or topic released from management: ownership tags removed, the resource kept."""

    address: str
    source: SourceLocation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Import:
    """An existing queue or topic adopted by declaration; ``id`` checked against the live one."""

    address: str
    id: str | None = None
    source: SourceLocation | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Stack:
    """Everything one manifest set declares. Resources are sorted by name for stable output.

    ``renamed_from``, ``moved``, ``removed`` and ``imports`` are the refactoring declarations:
    they change who owns a resource, never the resource itself."""

    name: str
    region: str | None = None
    queues: tuple[Queue, ...] = ()
    topics: tuple[Topic, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    source: SourceLocation | None = field(default=None, compare=False, repr=False)
    renamed_from: str | None = None
    moved: tuple[Moved, ...] = ()
    removed: tuple[Removed, ...] = ()
    imports: tuple[Import, ...] = ()
    # The project's policies that apply to this stack in this environment (cmqinfra.yaml).
    policies: tuple[Policy, ...] = field(default=(), compare=False, repr=False)


Resource = Queue | Topic | Subscription


def manifest_key(field_name: str, metadata: Mapping[str, object] | None = None) -> str:
    """The manifest (camelCase) name of a model field: ``visibility_timeout`` -> ``visibilityTimeout``."""
    if metadata and "key" in metadata:
        return str(metadata["key"])
    head, *rest = field_name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def attribute_keys(resource_type: type) -> dict[str, str]:
    """Model field name -> manifest key, for every compared attribute of a resource type."""
    return {
        f.name: manifest_key(f.name, f.metadata)
        for f in fields(resource_type)
        if f.compare and f.name not in ("name", "topic")
    }
