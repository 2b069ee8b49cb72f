"""The refactoring declarations of a stack (``moved``, ``removed``, ``import``, ``renamedFrom``):
reading them from the documents, the rules the schema cannot express, and the model values.

Each rule names the line of the entry it is about. Values may be schema-invalid here (the schema
reports those); the rules only judge entries whose fields have the right types.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.entries import Entry, as_mapping
from cmqinfra.manifest.schema import show
from cmqinfra.manifest.source import Document
from cmqinfra.model import Import, Moved, Removed, SourceLocation

SECTIONS = ("moved", "removed", "import")
# What the schema's address pattern accepts; anything else is the schema's to report.
_ADDRESS = re.compile(r"(queue|topic)/[A-Za-z][A-Za-z0-9_-]{0,63}")


@dataclass(frozen=True)
class Declaration:
    """One item of a ``moved`` / ``removed`` / ``import`` list, as written."""

    section: str
    index: int
    doc: Document
    fields: dict[str, object]

    @property
    def location(self) -> SourceLocation:
        return self.doc.at((self.section, self.index))

    def where(self, key: str) -> SourceLocation:
        if key in self.fields:
            return self.doc.at((self.section, self.index, key))
        return self.location

    def text(self, key: str) -> str | None:
        value = self.fields.get(key)
        return value if isinstance(value, str) else None


def collect(doc: Document) -> list[Declaration]:
    data = as_mapping(doc.data)
    out: list[Declaration] = []
    for section in SECTIONS:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if isinstance(item, dict):
                out.append(Declaration(section, index, doc, item))
    return out


def check(declarations: Iterable[Declaration], entries: Iterable[Entry], stack: str | None,
          renamed_from: str | None) -> list[Diagnostic]:
    """What the entries mean together with the resources the stack declares."""
    declarations = list(declarations)
    if not declarations:  # the common case: no set of every declared address is needed
        return []
    declared = {f"{e.kind}/{e.name}".casefold() for e in entries if e.kind in ("queue", "topic")}
    out: list[Diagnostic] = []
    seen: dict[str, Declaration] = {}
    for d in declarations:
        address = d.text("address")
        if address is None or not _ADDRESS.fullmatch(address):
            continue
        key = address.casefold()
        first = seen.get(key)
        if first is not None:
            out.append(Diagnostic(
                f"{address} is named twice in the refactoring declarations (also at {first.location})",
                d.where("address")))
            continue
        seen[key] = d
        is_declared = key in declared
        if d.section == "moved":
            source, target = d.text("fromStack"), d.text("toStack")
            if (source is None) == (target is None):
                out.append(Diagnostic(
                    f"moved {address} needs exactly one of fromStack or toStack "
                    f"(got {'both' if source else 'neither'})", d.location,
                    hint="fromStack in the stack that takes the resource, toStack in the one giving it"))
                continue
            other = source or target
            if other == stack or (other is not None and other == renamed_from):
                out.append(Diagnostic(f"moved {address}: {show(other)} is this stack itself",
                                      d.where("fromStack" if source else "toStack")))
            elif source is not None and not is_declared:
                out.append(Diagnostic(
                    f"moved {address} from stack {show(source)}, but this stack does not declare it",
                    d.where("address"), hint="declare the resource here, with the settings it should keep"))
            elif target is not None and is_declared:
                out.append(Diagnostic(
                    f"moved {address} to stack {show(target)}, but this stack still declares it",
                    d.where("address"), hint="remove its declaration from this stack"))
        elif d.section == "removed" and is_declared:
            out.append(Diagnostic(
                f"removed {address} is still declared in this stack", d.where("address"),
                hint="remove its declaration: a removed resource is no longer managed"))
        elif d.section == "import" and not is_declared:
            out.append(Diagnostic(
                f"import {address}: this stack does not declare it", d.where("address"),
                hint="declare the resource, with the settings it should have"))
    return out


def build(
    declarations: Iterable[Declaration],
) -> tuple[tuple[Moved, ...], tuple[Removed, ...], tuple[Import, ...]]:
    """Model values of checked declarations (only called when there are no errors)."""
    moved: list[Moved] = []
    removed: list[Removed] = []
    imports: list[Import] = []
    for d in declarations:
        address = str(d.fields["address"])
        if d.section == "moved":
            moved.append(Moved(address, d.text("fromStack"), d.text("toStack"), d.location))
        elif d.section == "removed":
            removed.append(Removed(address, d.location))
        else:
            imports.append(Import(address, d.text("id"), d.location))
    return tuple(moved), tuple(removed), tuple(imports)
