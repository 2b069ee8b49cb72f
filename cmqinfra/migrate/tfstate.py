"""A Terraform state file (format version 4, JSON) -> the CMQ resource instances it records.

Terraform writes state one key per line in a fixed order (mode, type, name, provider,
instances; then attributes), so each instance and attribute is located by scanning forward
from the previous one: good enough for a file:line in a diagnostic.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from typing import Any

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.migrate.bounds import MAX_DEPTH, too_deep
from cmqinfra.migrate.provider import RESOURCE_TYPES
from cmqinfra.model import SourceLocation


@dataclass(frozen=True)
class StateInstance:
    type: str
    name: str
    module: str | None  # "module.x" for resources of a child module
    index_key: int | str | None  # set for count / for_each instances
    attributes: tuple[tuple[str, Any], ...]
    locations: tuple[tuple[str, SourceLocation], ...]
    location: SourceLocation
    provider: str = ""  # as the state records it: provider["registry.../tencentcloud"].ALIAS

    @property
    def address(self) -> str:
        base = f"{self.type}.{self.name}"
        if self.module:
            base = f"{self.module}.{base}"
        if self.index_key is None:
            return base
        return f"{base}[{json.dumps(self.index_key)}]"

    def value(self, name: str) -> Any:
        for key, value in self.attributes:
            if key == name:
                return value
        return None

    def where(self, name: str) -> SourceLocation:
        for key, location in self.locations:
            if key == name:
                return location
        return self.location


class _Cursor:
    def __init__(self, file: str, text: str) -> None:
        self.file, self.text, self.pos = file, text, 0
        # where each line starts: a location is a bisection, not a count from the top (a state of
        # many thousand instances would otherwise take minutes)
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def find(self, pattern: str, start: int | None = None) -> int | None:
        match = re.compile(pattern).search(self.text, self.pos if start is None else start)
        return None if match is None else match.start()

    def location(self, pos: int | None) -> SourceLocation:
        if pos is None:
            return SourceLocation(self.file, 1, 1)
        line = bisect.bisect_right(self.starts, pos)
        return SourceLocation(self.file, line, pos - self.starts[line - 1] + 1)


def parse_state(file: str, text: str) -> tuple[tuple[StateInstance, ...], list[Diagnostic]]:
    """Every managed tencentcloud_tcmq_* instance in the state, in file order."""
    deep = too_deep(file, text)
    if deep is not None:
        return (), [Diagnostic(f"not a Terraform state file: nested deeper than {MAX_DEPTH} levels", deep)]
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return (), [
            Diagnostic(f"not a JSON state file: {exc.msg}", SourceLocation(file, exc.lineno, exc.colno))
        ]
    except RecursionError:  # too_deep counts brackets the way JSON nests them; kept as a backstop
        return (), [Diagnostic("not a Terraform state file: nested too deeply", SourceLocation(file, 1, 1))]
    if not isinstance(doc, dict) or not isinstance(doc.get("resources", []), list):
        return (), [Diagnostic("not a Terraform state file (no resources list)", SourceLocation(file, 1, 1))]
    version = doc.get("version")
    if version != 4:
        return (), [
            Diagnostic(
                f"state format version {version!r} is not supported (version 4 is: Terraform 0.12 and later)",
                SourceLocation(file, 1, 1),
                hint="run `terraform state pull > terraform.tfstate` with a current Terraform",
            )
        ]
    cursor = _Cursor(file, text)
    out: list[StateInstance] = []
    for resource in doc.get("resources", []):
        if not isinstance(resource, dict):
            continue
        rtype, name = str(resource.get("type", "")), str(resource.get("name", ""))
        start = cursor.find(r'"type"\s*:\s*' + re.escape(json.dumps(rtype)))
        if start is not None:
            cursor.pos = start
        if resource.get("mode") != "managed" or rtype not in RESOURCE_TYPES:
            continue
        where = cursor.location(start)
        for instance in resource.get("instances") or ():
            if not isinstance(instance, dict):
                continue
            at = cursor.find(r'"attributes"\s*:')
            if at is not None:
                cursor.pos = at + 1
            attributes = instance.get("attributes") or {}
            locations = []
            for key in attributes:
                pos = cursor.find(re.escape(json.dumps(key)) + r"\s*:", at)
                locations.append((key, cursor.location(pos)))
            out.append(
                StateInstance(
                    type=rtype,
                    name=name,
                    module=resource.get("module"),
                    index_key=instance.get("index_key"),
                    attributes=tuple(attributes.items()),
                    locations=tuple(locations),
                    location=cursor.location(at) if at is not None else where,
                    provider=str(resource.get("provider") or ""),
                )
            )
    return tuple(out), []
