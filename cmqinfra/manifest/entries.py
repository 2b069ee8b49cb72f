"""Resources as declared: name, where, and effective settings (stack defaults under own values).

``defaults:`` blocks apply to every file of the stack, wherever they are written
(``stack_defaults``); two files giving one default different values is an error naming both.

Values here are raw YAML data that may be schema-invalid; readers use the typed accessors,
which answer None for a value of the wrong type, so checks never crash on bad input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.source import DataPath, Document
from cmqinfra.model import SourceLocation

KINDS = ("queue", "topic", "subscription")
_NONE: dict[str, tuple[Document, DataPath]] = {}  # no setting comes from a default: never written to
# An Entry from all its fields at once, without the generated ``__new__``'s Python call (one per
# resource of every load).
_entry = tuple.__new__


class Entry(NamedTuple):
    """A queue, topic or subscription as written in one document (an immutable tuple: one is
    made per resource of every load, at a third of a frozen dataclass's cost)."""

    kind: str  # "queue" | "topic" | "subscription"
    name: str
    doc: Document
    path: DataPath  # where the resource's own mapping lives
    # Effective: stack defaults, then the resource's own values (the document's own mapping,
    # not a copy, when no default applies: nothing writes to it).
    settings: dict[str, Any]
    # Setting -> document and path it was written at, for settings that come from a default;
    # every other setting was written under ``path``.
    origins: dict[str, tuple[Document, DataPath]]
    topic: str | None = None  # subscriptions only
    key_mark: int | None = None  # where the name was written, when the parser gave it

    @property
    def location(self) -> SourceLocation:
        if self.key_mark is not None:
            return self.doc.location(self.key_mark)
        return self.doc.key_at(self.path)

    def where(self, key: str, *rest: str | int) -> SourceLocation:
        """Location of a setting (or something inside it), wherever it was written."""
        doc, base = self.origins.get(key, (self.doc, self.path + (key,)))
        return doc.at(base + tuple(rest))

    def key_where(self, key: str) -> SourceLocation:
        doc, base = self.origins.get(key, (self.doc, self.path + (key,)))
        return doc.key_at(base)

    def int_setting(self, key: str) -> int | None:
        return as_int(self.settings.get(key))

    def str_setting(self, key: str) -> str | None:
        value = self.settings.get(key)
        return value if isinstance(value, str) else None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def as_mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Default:
    """One ``defaults:`` setting and where it was written."""

    value: Any
    doc: Document
    path: DataPath


# kind -> setting -> Default; a ``tags`` default is kept per tag key (see ``stack_defaults``).
Defaults = dict[str, dict[str, Default]]


def stack_defaults(docs: Sequence[Document]) -> tuple[Defaults, list[Diagnostic]]:
    """The ``defaults:`` of all the files of one stack, merged. Tags merge key by key; any other
    setting, or one tag key, given different values in two places is an error naming both."""
    merged: Defaults = {kind: {} for kind in KINDS}
    diags: list[Diagnostic] = []

    def put(kind: str, key: str, default: Default, shown: str) -> None:
        first = merged[kind].get(key)
        if first is None:
            merged[kind][key] = default
        elif first.value != default.value:
            where = first.doc.at(first.path)
            diags.append(Diagnostic(
                f"defaults.{kind}.{shown} conflicts with the value given in {where.file}:{where.line}; "
                "defaults apply to every file of the stack, so give each default once",
                default.doc.at(default.path)))

    for doc in docs:
        block = as_mapping(as_mapping(doc.data).get("defaults"))
        for kind in KINDS:
            for key, value in as_mapping(block.get(kind)).items():
                path: DataPath = ("defaults", kind, key)
                if key == "tags" and isinstance(value, dict):
                    for tag, tag_value in value.items():
                        put(kind, f"tags\0{tag}", Default(tag_value, doc, path + (tag,)), f"tags.{tag}")
                else:
                    put(kind, key, Default(value, doc, path), key)
    return merged, diags


def collect(doc: Document, defaults: Defaults | None = None) -> list[Entry]:
    """Every queue, topic and subscription of a document, with the stack's defaults applied
    (``defaults`` from ``stack_defaults``; by default the document's own)."""
    data = as_mapping(doc.data)
    if defaults is None:
        defaults, _ = stack_defaults([doc])
    out: list[Entry] = []
    applied = {kind: defaults.get(kind, {}) for kind in KINDS}

    def entry(
        kind: str, name: str, path: DataPath, own: Any, topic: str | None, key_mark: int | None
    ) -> Entry:
        mine = as_mapping(own)
        wanted = applied[kind]
        if not wanted:
            return _entry(Entry, (kind, name, doc, path, mine, _NONE, topic, key_mark))
        settings: dict[str, Any] = {}
        origins: dict[str, tuple[Document, DataPath]] = {}
        for key, default in wanted.items():
            if "\0" in key:
                tag = key.split("\0", 1)[1]
                settings.setdefault("tags", {})[tag] = default.value
                origins["tags"] = (default.doc, default.path[:-1])
            else:
                settings[key] = default.value
                origins[key] = (default.doc, default.path)
        for key, value in mine.items():
            if key == "tags" and isinstance(value, dict) and isinstance(settings.get("tags"), dict):
                settings["tags"] = {**settings["tags"], **value}
            else:
                settings[key] = value
            origins.pop(key, None)  # written here, under path
        return Entry(kind, name, doc, path, settings, origins, topic, key_mark)

    def each(mapping: dict[str, Any]) -> Iterable[tuple[str, Any, int | None]]:
        marks = doc.key_marks(mapping)
        if marks is None:
            return ((name, own, None) for name, own in mapping.items())
        return ((name, own, mark) for (name, own), mark in zip(mapping.items(), marks, strict=True))

    for name, own, mark in each(as_mapping(data.get("queues"))):
        out.append(entry("queue", name, ("queues", name), own, None, mark))
    for name, own, mark in each(as_mapping(data.get("topics"))):
        out.append(entry("topic", name, ("topics", name), own, None, mark))
        for sub, sub_own, sub_mark in each(as_mapping(as_mapping(own).get("subscriptions"))):
            path = ("topics", name, "subscriptions", sub)
            out.append(entry("subscription", sub, path, sub_own, name, sub_mark))
    return out
