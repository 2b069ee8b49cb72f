"""``${...}`` left in a manifest that nothing resolves: an error at its line, never a literal.

Variables (``${var.NAME}``, ``${env.name}``) are resolved for the stacks of a project with
``cmqinfra.yaml`` (cmqinfra/project/resolve.py). A manifest read any other way (a PATH argument,
a stack discovered without ``cmqinfra.yaml``) would otherwise plan the text ``${env.name}`` as a
tag value or a name: the reviewer would approve a plan that is not the one meant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.source import DataPath, Document

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}?")
_SHOWN = 60
PATH_HINT = "plan the stack in its project (cmqinfra.yaml) with --stack NAME --env ENV"
DISCOVERED_HINT = "declare the stack and its variables in cmqinfra.yaml to use variables"


def _strings(data: Any, path: DataPath = ()) -> Iterator[tuple[DataPath, str, bool]]:
    """Every string of ``data``: (path, text, is a mapping key)."""
    if isinstance(data, str):
        yield path, data, False
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                yield (*path, key), key, True
            yield from _strings(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _strings(value, (*path, index))


def unresolved_references(doc: Document, hint: str) -> list[Diagnostic]:
    """One diagnostic per value or key holding ``${`` (``$${`` is left alone, as a project reads it)."""
    out: list[Diagnostic] = []
    if not doc.may_reference:  # the parser saw no "${" in the file: no walk over every string
        return out
    for path, text, is_key in _strings(doc.data):
        if "${" not in text:
            continue
        found = next((m for m in _REFERENCE.finditer(text) if m.group(0) != "$${"), None)
        if found is None:
            continue
        shown = found.group(0)[:_SHOWN]
        where = doc.key_at(path) if is_key else doc.at(path)
        out.append(Diagnostic(f"{shown} is not resolved here: variables exist only for the stacks of a "
                              "project", where, hint=hint))
    return out
