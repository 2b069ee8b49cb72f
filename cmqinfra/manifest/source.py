"""Reading one manifest file into plain data plus the location of every key and value.

Bad input never raises: every problem becomes one Diagnostic with a location. The YAML is
parsed into events by PyYAML's safe parser (libyaml's when installed; event marks give line and
column) and built into data here, iteratively, guarded against the classic hostile inputs:
anchors/aliases (alias bombs) are refused outright, nesting depth and node count are capped,
the file size is checked before reading, binary and non-UTF-8 files are refused, and only plain
YAML types (mappings, sequences, strings, numbers, booleans, null) are accepted.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

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


# libyaml's event parser when available (about 20 times faster), the pure-Python one otherwise.
_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_resolver = Resolver()
_constructor = SafeConstructor()
_SKIP = object()  # a key whose value is dropped (the key itself was reported)


class _Frame:
    """An open mapping or sequence while events stream in; ``skip`` frames swallow a subtree."""

    __slots__ = ("container", "path", "key", "seen", "skip", "is_key")

    def __init__(self, container: Any, path: DataPath, skip: int = 0, is_key: bool = False) -> None:
        self.container = container
        self.path = path
        self.is_key = is_key
        self.key: object = None  # mapping: the key whose value comes next (None: a key comes next)
        self.seen: dict[str, SourceLocation] = {}
        self.skip = skip


class _EventBuilder:
    """Builds plain data from YAML events, recording where every key and value was written.

    Working on the event stream (not on composed nodes) keeps this iterative, so hostile
    nesting cannot exhaust the stack, and lets anchors, aliases, depth and size be refused
    the moment they appear.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[DataPath, SourceLocation] = {}
        self.keys: dict[DataPath, SourceLocation] = {}
        self.diagnostics: list[Diagnostic] = []
        self.root: Any = None
        self.has_root = False
        self._frames: list[_Frame] = []
        self._documents = 0
        self._depth = 0
        self._nodes = 0

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                "YAML aliases (*name) are not supported in manifests; use the `defaults` block "
                "to share settings", event.start_mark)
        if isinstance(event, yaml.DocumentStartEvent):
            self._documents += 1
            if self._documents > 1:
                raise _Refused("a manifest file holds one YAML document, found a second one",
                               event.start_mark)
            return
        if isinstance(event, yaml.CollectionEndEvent):
            self._depth -= 1
            frame = self._frames[-1]
            if frame.skip:
                frame.skip -= 1
                if frame.skip:
                    return
            self._frames.pop()
            if not frame.is_key:  # after a swallowed key, its value is still to be dropped
                self._done()
            return
        if not isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)):
            return
        if event.anchor is not None:
            raise _Refused(
                "YAML anchors (&name) are not supported in manifests; use the `defaults` block "
                "to share settings", event.start_mark)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(f"the YAML has more than {MAX_NODES} nodes", event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _Refused(f"the YAML is nested deeper than {MAX_DEPTH} levels", event.start_mark)
        if self._frames and self._frames[-1].skip:
            if isinstance(event, yaml.CollectionStartEvent):
                self._frames[-1].skip += 1
            return
        loc = _loc(self.file, event.start_mark)
        parent = self._frames[-1] if self._frames else None
        if parent is not None and isinstance(parent.container, dict) and parent.key is None:
            self._key(parent, event, loc)
            return
        path = self._path(parent)
        if isinstance(event, yaml.ScalarEvent):
            value = self._scalar(event, loc)
            if path is not None and value is not _SKIP:
                self.values[path] = loc
                self._attach(parent, value)
            self._done()
            return
        is_map = isinstance(event, yaml.MappingStartEvent)
        expected = _TAG + ("map" if is_map else "seq")
        if path is None or event.tag not in (None, "!", expected):
            if path is not None:
                self._bad_tag(str(event.tag), loc)
            self._frames.append(_Frame(None, (), skip=1))
            return
        container: Any = {} if is_map else []
        self.values[path] = loc
        self._attach(parent, container)
        self._frames.append(_Frame(container, path))

    def _path(self, parent: _Frame | None) -> DataPath | None:
        """Where the next value goes; None when it is to be dropped."""
        if parent is None:
            return ()
        if isinstance(parent.container, list):
            return parent.path + (len(parent.container),)
        if parent.key is _SKIP:
            return None
        return parent.path + (str(parent.key),)

    def _attach(self, parent: _Frame | None, value: Any) -> None:
        if parent is None:
            self.root, self.has_root = value, True
        elif isinstance(parent.container, list):
            parent.container.append(value)
        else:
            parent.container[parent.key] = value

    def _done(self) -> None:
        """A value is complete: its mapping now expects a key again."""
        if self._frames and isinstance(self._frames[-1].container, dict):
            self._frames[-1].key = None

    def _key(self, parent: _Frame, event: yaml.Event, loc: SourceLocation) -> None:
        parent.key = _SKIP
        if isinstance(event, yaml.CollectionStartEvent):
            self.diagnostics.append(
                Diagnostic("keys must be plain strings, not mappings, lists or tagged values", loc))
            self._frames.append(_Frame(None, (), skip=1, is_key=True))
            return
        assert isinstance(event, yaml.ScalarEvent)
        tag = _scalar_tag(event)
        if tag != _TAG + "str":
            if tag in _SCALAR_TAGS:
                shown = _short(event.value)[1:-1] if event.value else "null"
                self.diagnostics.append(
                    Diagnostic(f"keys must be strings (got {shown}); quote it if it is meant as a name", loc))
            else:
                self.diagnostics.append(
                    Diagnostic("keys must be plain strings, not mappings, lists or tagged values", loc))
            return
        key = event.value
        if key in parent.seen:
            first = parent.seen[key]
            self.diagnostics.append(Diagnostic(
                f"duplicate key {_short(key)} (first written at line {first.line}, again at line {loc.line})",
                loc))
            return
        parent.seen[key] = loc
        parent.key = key
        self.keys[parent.path + (key,)] = loc

    def _scalar(self, event: yaml.ScalarEvent, loc: SourceLocation) -> Any:
        tag = _scalar_tag(event)
        if tag == _TAG + "timestamp":
            return event.value  # a date-looking string is just a string here
        if tag not in _SCALAR_TAGS:
            self._bad_tag(tag, loc)
            return _SKIP
        if tag == _TAG + "str":
            return event.value
        try:
            return _constructor.construct_object(ScalarNode(tag, event.value), deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            return event.value

    def _bad_tag(self, tag: str, loc: SourceLocation) -> None:
        shown = tag.replace(_TAG, "!!", 1) if tag.startswith(_TAG) else tag
        self.diagnostics.append(Diagnostic(f"YAML tag {_short(shown)} is not supported in manifests", loc))


def _scalar_tag(event: yaml.ScalarEvent) -> str:
    if event.tag is None or event.tag == "!":
        return str(_resolver.resolve(ScalarNode, event.value, event.implicit))
    return str(event.tag)


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
    builder = _EventBuilder(file)
    try:
        for event in yaml.parse(text, Loader=_PARSER):
            builder.feed(event)
    except _Refused as exc:
        return None, [Diagnostic(exc.message, _loc(file, exc.mark))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and mark.index >= len(text.rstrip()) and exc.context_mark is not None:
            mark = exc.context_mark  # "unexpected end of file": point at what was left open
        problem = ", ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        return None, [Diagnostic(f"invalid YAML: {problem}", _loc(file, mark))]
    except yaml.reader.ReaderError as exc:
        return None, [_reader_error(file, text, exc)]
    except (yaml.YAMLError, RecursionError, ValueError, MemoryError) as exc:
        return None, [Diagnostic(f"invalid YAML: {type(exc).__name__}", SourceLocation(file, 1, 1))]
    if not builder.has_root:
        empty = Diagnostic("file is empty: a manifest needs at least `stack:`", SourceLocation(file, 1, 1))
        return None, [empty]
    return Document(file, builder.root, builder.values, builder.keys), builder.diagnostics


def _reader_error(file: str, text: str, exc: yaml.reader.ReaderError) -> Diagnostic:
    char = exc.character if isinstance(exc.character, int) else ord(exc.character)
    # libyaml reports a byte offset into the UTF-8 text, PyYAML a character offset.
    encoded = text.encode("utf-8")
    prefix = encoded[: exc.position].decode("utf-8", "replace") if _PARSER is not yaml.SafeLoader else None
    line, column = _line_col(text, len(prefix) if prefix is not None else exc.position)
    return Diagnostic(f"invalid YAML: control character U+{char:04X} is not allowed",
                      SourceLocation(file, line, column))


def _short(value: str, limit: int = 60) -> str:
    """A string quoted and escaped onto one line, bounded in length."""
    shown = json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= limit else shown[: limit - 4] + '..."'
