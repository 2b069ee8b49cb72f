"""Resources as declared: name, where, and effective settings (stack defaults under own values).

``defaults:`` blocks apply to every file of the stack, wherever they are written
(``stack_defaults``); two files giving one default different values is an error naming both.

Values here are raw YAML data that may be schema-invalid; readers use the typed accessors,
which answer None for a value of the wrong type, so checks never crash on bad input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.source import DataPath, Document
from cmqinfra.model import SourceLocation

KINDS = ("queue", "topic", "subscription")


@dataclass(frozen=True)
class Entry:
    """A queue, topic or subscription as written in one document."""

    kind: str  # "queue" | "topic" | "subscription"
    name: str
    doc: Document
    path: DataPath  # where the resource's own mapping lives
    settings: dict[str, Any]  # effective: stack defaults, then the resource's own values
    origins: dict[str, tuple[Document, DataPath]]  # setting -> document and path it was written at
    topic: str | None = None  # subscriptions only

    @property
    def location(self) -> SourceLocation:
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

    def entry(kind: str, name: str, path: DataPath, own: Any, topic: str | None = None) -> Entry:
        settings: dict[str, Any] = {}
        origins: dict[str, tuple[Document, DataPath]] = {}
        for key, default in defaults.get(kind, {}).items():
            if "\0" in key:
                tag = key.split("\0", 1)[1]
                settings.setdefault("tags", {})[tag] = default.value
                origins["tags"] = (default.doc, default.path[:-1])
            else:
                settings[key] = default.value
                origins[key] = (default.doc, default.path)
        for key, value in as_mapping(own).items():
            if key == "tags" and isinstance(value, dict) and isinstance(settings.get("tags"), dict):
                settings["tags"] = {**settings["tags"], **value}
            else:
                settings[key] = value
            origins[key] = (doc, path + (key,))
        return Entry(kind, name, doc, path, settings, origins, topic)

    for name, own in as_mapping(data.get("queues")).items():
        out.append(entry("queue", name, ("queues", name), own))
    for name, own in as_mapping(data.get("topics")).items():
        out.append(entry("topic", name, ("topics", name), own))
        for sub, sub_own in as_mapping(as_mapping(own).get("subscriptions")).items():
            out.append(entry("subscription", sub, ("topics", name, "subscriptions", sub), sub_own, name))
    return out
