"""Live resources -> a manifest document (the YAML users write), omitting default attributes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields

from cmqinfra.export.defaults import Defaults
from cmqinfra.live import LiveQueue, LiveState, LiveSubscription, LiveTopic, name_key
from cmqinfra.manifest.pyyaml import yaml
from cmqinfra.model import Protocol, Queue, Subscription, Topic, manifest_key
from cmqinfra.plan.shape import manifest_value

# Handled apart from the generic attribute walk: identity, and the tag/protect pair.
_SKIPPED = {"name", "topic", "tags", "protect", "source"}
DEFAULT_IMPORT_STACK = "imported"


@dataclass(frozen=True)
class Selection:
    """What one export writes: the stack's name and the live resources it takes over."""

    stack: str
    region: str | None
    queues: tuple[LiveQueue, ...]
    topics: tuple[LiveTopic, ...]
    subscriptions: tuple[LiveSubscription, ...]
    skipped_foreign: int  # resources owned by other stacks, never exported into this one


def select(live: LiveState, stack: str | None, include_unowned: bool, region: str | None) -> Selection:
    """The stack's own resources, plus (``include_unowned``) every untagged one, to adopt them.

    Resources owned by another stack are skipped: applying them here would be refused anyway.
    """
    wanted_owner = stack

    def keep(owner: str | None) -> bool:
        return (wanted_owner is not None and owner == wanted_owner) or (include_unowned and owner is None)

    queues = tuple(q for q in live.queues.values() if keep(q.owner))
    topics = tuple(t for t in live.topics.values() if keep(t.owner))
    foreign = sum(1 for r in (*live.queues.values(), *live.topics.values()) if r.owner and not keep(r.owner))
    topic_keys = {name_key(t.topic.name) for t in topics}
    subscriptions = tuple(
        s for s in live.subscriptions.values() if name_key(s.subscription.topic) in topic_keys
    )
    return Selection(
        stack=stack or DEFAULT_IMPORT_STACK,
        region=region,
        queues=tuple(sorted(queues, key=lambda q: q.queue.name)),
        topics=tuple(sorted(topics, key=lambda t: t.topic.name)),
        subscriptions=tuple(sorted(subscriptions, key=lambda s: (s.subscription.topic, s.subscription.name))),
        skipped_foreign=foreign,
    )


def _conditional_defaults(resource: Queue | Topic | Subscription) -> dict[str, object]:
    """The defaults the loader derives from other attributes rather than from the schema
    (see ``cmqinfra.manifest.build``): no rewind storage without rewind, and the notify
    content format a subscription's protocol implies."""
    if isinstance(resource, Queue) and not resource.rewind_seconds:
        return {"retentionSizeInMB": 0}
    if isinstance(resource, Subscription):
        return {"notifyContentFormat": "SIMPLIFIED" if resource.protocol is Protocol.QUEUE else "JSON"}
    return {}


def _attributes(resource: Queue | Topic | Subscription, defaults: Mapping[str, object]) -> dict[str, object]:
    defaults = {**defaults, **_conditional_defaults(resource)}
    out: dict[str, object] = {}
    for f in fields(resource):
        if f.name in _SKIPPED or not f.compare:
            continue
        value = getattr(resource, f.name)
        if value is None or value == ():
            continue  # not managed, or the empty filter: both are what omission means
        key = manifest_key(f.name, f.metadata)
        plain = manifest_value(value)
        if key in defaults and defaults[key] == plain:
            continue
        out[key] = plain
    return out


def _with_tags(attrs: dict[str, object], resource: Queue | Topic, protected: bool) -> dict[str, object]:
    if resource.tags:
        attrs["tags"] = dict(resource.tags)
    if protected:
        attrs["protect"] = True
    return attrs


def build_document(selection: Selection, defaults: Defaults) -> dict[str, object]:
    doc: dict[str, object] = {"stack": selection.stack}
    if selection.region:
        doc["region"] = selection.region
    if selection.queues:
        doc["queues"] = {
            q.queue.name: _with_tags(_attributes(q.queue, defaults.queue), q.queue, q.protected)
            for q in selection.queues
        }
    subs_by_topic: dict[str, list[Subscription]] = {}
    for s in selection.subscriptions:
        subs_by_topic.setdefault(name_key(s.subscription.topic), []).append(s.subscription)
    if selection.topics:
        topics: dict[str, object] = {}
        for t in selection.topics:
            attrs = _with_tags(_attributes(t.topic, defaults.topic), t.topic, t.protected)
            subs = subs_by_topic.get(name_key(t.topic.name), [])
            if subs:
                attrs["subscriptions"] = {s.name: _attributes(s, defaults.subscription) for s in subs}
            topics[t.topic.name] = attrs
        doc["topics"] = topics
    return doc


class _Dumper(yaml.SafeDumper):
    """Block style, insertion order, empty mappings as ``{}``: the way the examples are written."""


def _dict_representer(dumper: yaml.SafeDumper, data: Mapping[str, object]) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=not data or None)


def _list_representer(dumper: yaml.SafeDumper, data: Iterable[object]) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(data), flow_style=True)


_Dumper.add_representer(dict, _dict_representer)
_Dumper.add_representer(list, _list_representer)


EXPORT_NOTE = "Written by `cmqinfra export` from live state; attributes at their defaults are omitted."


def render_yaml(doc: Mapping[str, object], schema_ref: str | None, note: str = EXPORT_NOTE) -> str:
    header = f"# yaml-language-server: $schema={schema_ref}\n" if schema_ref else ""
    header += f"# {note}\n"
    body = yaml.dump(dict(doc), Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return header + body
