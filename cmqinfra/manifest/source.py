"""Reading one manifest file into plain data plus the location of every node.

Bad input never raises: every problem becomes one Diagnostic with a location. The YAML is
composed with PyYAML's SafeLoader (node marks give line and column), guarded against the
classic hostile inputs: anchors/aliases (alias bombs) are refused outright, nesting depth and
node count are capped, the file size is checked before reading, and only plain YAML types
(mappings, sequences, strings, numbers, booleans, null) are accepted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.model import SourceLocation

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 500_000

# A path into a document: mapping keys and sequence indexes from the root.
DataPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass(frozen=True)
class Document:
    """One parsed manifest file: its data and where each value and each key was written."""

    file: str
    data: Any
    values: Mapping[DataPath, SourceLocation]
    keys: Mapping[DataPath, SourceLocation]

    def at(self, path: DataPath) -> SourceLocation:
        """Location of the value at ``path`` (or of its nearest written ancestor)."""
        for cut in range(len(path), -1, -1):
            loc = self.values.get(path[:cut])
            if loc is not None:
                return loc
        return SourceLocation(self.file, 1, 1)

    def key_at(self, path: DataPath) -> SourceLocation:
        """Location of the key naming ``path`` (the value's location for sequence items/root)."""
        return self.keys.get(path) or self.at(path)


class _Refused(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _GuardedLoader(yaml.SafeLoader):
    """SafeLoader whose composer refuses anchors and aliases and caps depth and size."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Node | None, index: object) -> Node:  # type: ignore[override]
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                "YAML aliases (*name) are not supported in manifests; use the `defaults` block "
                "to share settings",
                event.start_mark,
            )
        if getattr(event, "anchor", None) is not None:
            raise _Refused(
                "YAML anchors (&name) are not supported in manifests; use the `defaults` block "
                "to share settings",
                event.start_mark,
            )
        self._depth += 1
        self._nodes += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(f"the YAML is nested deeper than {MAX_DEPTH} levels", event.start_mark)
        if self._nodes > MAX_NODES:
            raise _Refused(f"the YAML has more than {MAX_NODES} nodes", event.start_mark)
        try:
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1


def _loc(file: str, mark: yaml.Mark | None) -> SourceLocation:
    if mark is None:
        return SourceLocation(file, 1, 1)
    return SourceLocation(file, mark.line + 1, mark.column + 1)


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    line = before.count("\n") + 1
    return line, index - (before.rfind("\n") + 1) + 1


def read_document(file: str) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse one file. Returns (document or None, diagnostics)."""
    start = SourceLocation(file, 1, 1)
    try:
        size = os.stat(file).st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // (1024 * 1024)
            return None, [Diagnostic(f"file is too large ({size} bytes; the limit is {limit} MB)", start)]
        with open(file, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, [Diagnostic(f"cannot read file: {exc.strerror or exc}", start)]
    if len(raw) > MAX_FILE_BYTES:  # grew while we looked
        return None, [Diagnostic("file is too large (the limit is 5 MB)", start)]
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        return None, [Diagnostic("file is binary (contains NUL bytes), not a YAML manifest",
                                 SourceLocation(file, line, nul - (raw.rfind(b"\n", 0, nul) + 1) + 1))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Diagnostic(f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                                 SourceLocation(file, line, column))]
    return parse_text(file, text)


def parse_text(file: str, text: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse YAML text into a Document; every failure is one located diagnostic."""
    loader: _GuardedLoader | None = None
    try:
        loader = _GuardedLoader(text)  # the reader checks for unprintable characters here
        loader.name = file
        node = loader.get_single_node()
    except _Refused as exc:
        return None, [Diagnostic(exc.message, _loc(file, exc.mark))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and mark.index >= len(text.rstrip()) and exc.context_mark is not None:
            mark = exc.context_mark  # "unexpected end of file": point at what was left open
        problem = ", ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        return None, [Diagnostic(f"invalid YAML: {problem}", _loc(file, mark))]
    except yaml.reader.ReaderError as exc:
        line, column = _line_col(text, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        return None, [Diagnostic(f"invalid YAML: control character U+{char:04X} is not allowed",
                                 SourceLocation(file, line, column))]
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        return None, [Diagnostic(f"invalid YAML: {type(exc).__name__}", SourceLocation(file, 1, 1))]
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        empty = Diagnostic("file is empty: a manifest needs at least `stack:`", SourceLocation(file, 1, 1))
        return None, [empty]
    builder = _Builder(file)
    data = builder.convert(node, ())
    return Document(file, data, builder.values, builder.keys), builder.diagnostics


_constructor = SafeConstructor()


class _Builder:
    """Turns a composed node tree into plain data, recording every node's location."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[DataPath, SourceLocation] = {}
        self.keys: dict[DataPath, SourceLocation] = {}
        self.diagnostics: list[Diagnostic] = []

    def convert(self, node: Node, path: DataPath) -> Any:
        # Depth is bounded by the composer's cap, so this recursion is too.
        loc = _loc(self.file, node.start_mark)
        self.values[path] = loc
        if isinstance(node, MappingNode):
            if node.tag != _TAG + "map":
                return self._bad_tag(node, loc)
            result: dict[str, Any] = {}
            seen: dict[str, SourceLocation] = {}
            for key_node, value_node in node.value:
                key_loc = _loc(self.file, key_node.start_mark)
                key = self._key(key_node, key_loc)
                if key is None:
                    continue
                if key in seen:
                    self.diagnostics.append(Diagnostic(
                        f'duplicate key "{key}" (first written at line {seen[key].line}, again at line '
                        f"{key_loc.line})", key_loc))
                    continue
                seen[key] = key_loc
                self.keys[path + (key,)] = key_loc
                result[key] = self.convert(value_node, path + (key,))
            return result
        if isinstance(node, SequenceNode):
            if node.tag != _TAG + "seq":
                return self._bad_tag(node, loc)
            return [self.convert(item, path + (i,)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._scalar(node, loc)

    def _key(self, node: Node, loc: SourceLocation) -> str | None:
        if isinstance(node, ScalarNode) and node.tag == _TAG + "str":
            return str(node.value)
        if isinstance(node, ScalarNode) and node.tag in _SCALAR_TAGS:
            shown = _short(node.value)[1:-1] if node.value else "null"
            self.diagnostics.append(Diagnostic(
                f"keys must be strings (got {shown}); quote it if it is meant as a name", loc))
        else:
            self.diagnostics.append(
                Diagnostic("keys must be plain strings, not mappings, lists or tagged values", loc))
        return None

    def _scalar(self, node: ScalarNode, loc: SourceLocation) -> Any:
        if node.tag == _TAG + "timestamp":
            return str(node.value)  # a date-looking string is just a string here
        if node.tag not in _SCALAR_TAGS:
            return self._bad_tag(node, loc)
        try:
            return _constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            return str(node.value)

    def _bad_tag(self, node: Node, loc: SourceLocation) -> None:
        tag = node.tag.replace(_TAG, "!!", 1) if node.tag.startswith(_TAG) else node.tag
        self.diagnostics.append(Diagnostic(f"YAML tag {_short(tag)} is not supported in manifests", loc))
        return None


def _short(value: str, limit: int = 60) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= limit else shown[: limit - 4] + '..."'
