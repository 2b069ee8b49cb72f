"""Resources as declared: name, where, and effective settings (file defaults under own values).

Values here are raw YAML data that may be schema-invalid; readers use the typed accessors,
which answer None for a value of the wrong type, so checks never crash on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cmqinfra.manifest.source import DataPath, Document
from cmqinfra.model import SourceLocation


@dataclass(frozen=True)
class Entry:
    """A queue, topic or subscription as written in one document."""

    kind: str  # "queue" | "topic" | "subscription"
    name: str
    doc: Document
    path: DataPath  # where the resource's own mapping lives
    settings: dict[str, Any]  # effective: file defaults, then the resource's own values
    origins: dict[str, DataPath]  # setting -> path it was written at
    topic: str | None = None  # subscriptions only

    @property
    def location(self) -> SourceLocation:
        return self.doc.key_at(self.path)

    def where(self, key: str, *rest: str | int) -> SourceLocation:
        """Location of a setting (or something inside it), wherever it was written."""
        base = self.origins.get(key, self.path + (key,))
        return self.doc.at(base + tuple(rest))

    def key_where(self, key: str) -> SourceLocation:
        return self.doc.key_at(self.origins.get(key, self.path + (key,)))

    def int(self, key: str) -> int | None:
        return as_int(self.settings.get(key))

    def str(self, key: str) -> str | None:
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


def collect(doc: Document) -> list[Entry]:
    """Every queue, topic and subscription of a document, with defaults applied."""
    data = as_mapping(doc.data)
    defaults = as_mapping(data.get("defaults"))
    out: list[Entry] = []

    def entry(kind: str, name: str, path: DataPath, own: Any, topic: str | None = None) -> Entry:
        base = as_mapping(defaults.get(kind))
        settings: dict[str, Any] = {}
        origins: dict[str, DataPath] = {}
        for key, value in base.items():
            settings[key] = value
            origins[key] = ("defaults", kind, key)
        for key, value in as_mapping(own).items():
            if key == "tags" and isinstance(value, dict) and isinstance(settings.get("tags"), dict):
                settings["tags"] = {**settings["tags"], **value}
            else:
                settings[key] = value
            origins[key] = path + (key,)
        return Entry(kind, name, doc, path, settings, origins, topic)

    for name, own in as_mapping(data.get("queues")).items():
        out.append(entry("queue", name, ("queues", name), own))
    for name, own in as_mapping(data.get("topics")).items():
        out.append(entry("topic", name, ("topics", name), own))
        for sub, sub_own in as_mapping(as_mapping(own).get("subscriptions")).items():
            out.append(entry("subscription", sub, ("topics", name, "subscriptions", sub), sub_own, name))
    return out
