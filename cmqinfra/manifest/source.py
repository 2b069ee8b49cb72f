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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
# A position is kept as one int, line * _COLUMNS + column (0-based, as the parser's marks), not
# the parser's Mark object (six attributes, two of them large ints), one for every key and value:
# at 10,000 queues the located documents take about a tenth less memory. A 5 MB file has fewer
# columns than this.
_COLUMNS = 1 << 24
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass(frozen=True)
class Document:
    """One parsed manifest file: its data and where each value and each key was written.

    Positions are kept as the parser's raw marks and turned into SourceLocations only when a
    diagnostic or a resource asks for one: a large manifest has hundreds of thousands of nodes
    and only a handful are ever pointed at.
    """

    file: str
    data: Any
    values: Mapping[DataPath, int]  # positions, packed by _pack: (line, column) of the parser's mark
    keys: Mapping[DataPath, int]
    # Values written elsewhere (a variable's value in an environment file): the path here, and
    # the document and path where it was written, so diagnostics point at the written text.
    links: Mapping[DataPath, tuple[Document, DataPath]] = field(default_factory=dict)

    def at(self, path: DataPath) -> SourceLocation:
        """Location of the value at ``path`` (or of its nearest written ancestor)."""
        links = self.links
        for cut in range(len(path), -1, -1):
            head = path[:cut]
            if links and head in links:
                other, where = links[head]
                return other.at(where + path[cut:])
            mark = self.values.get(head)
            if mark is not None:
                return _loc(self.file, mark)
        return SourceLocation(self.file, 1, 1)

    def key_at(self, path: DataPath) -> SourceLocation:
        """Location of the key naming ``path`` (the value's location for sequence items/root)."""
        if self.links:
            for cut in range(len(path) - 1, -1, -1):
                if path[:cut] in self.links:
                    other, where = self.links[path[:cut]]
                    return other.key_at(where + path[cut:])
        mark = self.keys.get(path)
        return _loc(self.file, mark) if mark is not None else self.at(path)


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
_STR = _TAG + "str"
_TIMESTAMP = _TAG + "timestamp"
_ALIAS_REFUSED = (
    "YAML aliases (*name) are not supported in manifests; use the `defaults` block to share settings"
)
_ANCHOR_REFUSED = (
    "YAML anchors (&name) are not supported in manifests; use the `defaults` block to share settings"
)


class _Frame:
    """An open mapping or sequence while events stream in; ``skip`` frames swallow a subtree."""

    __slots__ = ("container", "path", "key", "key_path", "seen", "skip", "is_key", "is_map")

    def __init__(self, container: Any, path: DataPath, skip: int = 0, is_key: bool = False) -> None:
        self.container = container
        self.path = path
        self.is_key = is_key
        self.is_map = isinstance(container, dict)
        self.key: object = None  # mapping: the key whose value comes next (None: a key comes next)
        self.key_path: DataPath = path
        self.seen: dict[str, int] = {}
        self.skip = skip


class _EventBuilder:
    """Builds plain data from YAML events, recording where every key and value was written.

    Working on the event stream (not on composed nodes) keeps this iterative, so hostile
    nesting cannot exhaust the stack, and lets anchors, aliases, depth and size be refused
    the moment they appear. The loop is written for speed (one pass, locals, memoised scalar
    resolution) because it runs once per node of every manifest.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.values: dict[DataPath, int] = {}
        self.keys: dict[DataPath, int] = {}
        self.diagnostics: list[Diagnostic] = []
        self.root: Any = None
        self.has_root = False
        # Plain scalars resolve by their text alone; manifests repeat the same few texts.
        self._tags: dict[str, str] = {}
        self._constructed: dict[tuple[str, str], Any] = {}

    def run(self, events: Iterable[yaml.Event]) -> None:
        values, keys, tags = self.values, self.keys, self._tags
        frames: list[_Frame] = []
        documents = depth = nodes = 0
        scalar_event, mapping_start = yaml.ScalarEvent, yaml.MappingStartEvent
        sequence_start = yaml.SequenceStartEvent
        mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        for event in events:
            cls = event.__class__
            is_scalar = cls is scalar_event
            if is_scalar or cls is mapping_start or cls is sequence_start:
                if event.anchor is not None:
                    raise _Refused(_ANCHOR_REFUSED, event.start_mark)
                nodes += 1
                if nodes > MAX_NODES:
                    raise _Refused(f"the YAML has more than {MAX_NODES} nodes", event.start_mark)
                if not is_scalar:
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise _Refused(f"the YAML is nested deeper than {MAX_DEPTH} levels", event.start_mark)
                parent = frames[-1] if frames else None
                if parent is not None:
                    if parent.skip:
                        if not is_scalar:
                            parent.skip += 1
                        continue
                    if parent.is_map:
                        key = parent.key
                        if key is None:
                            # The common case inline: a plain string key written once.
                            text = event.value if is_scalar else None
                            if (
                                text is not None
                                and event.tag is None
                                and (not event.implicit[0] or tags.get(text) == _STR)
                                and text not in parent.seen
                            ):
                                start = event.start_mark
                                mark = start.line * _COLUMNS + start.column
                                parent.seen[text] = mark
                                parent.key = text
                                parent.key_path = key_path = parent.path + (text,)
                                keys[key_path] = mark
                            else:
                                self._key(parent, event, frames)
                            continue
                        path = None if key is _SKIP else parent.key_path
                    else:
                        path = parent.path + (len(parent.container),)
                else:
                    path = ()
                start = event.start_mark
                mark = start.line * _COLUMNS + start.column
                if is_scalar:
                    value = event.value
                    if event.tag is not None or (event.implicit[0] and tags.get(value) != _STR):
                        value = self._scalar(event)
                    if path is not None and value is not _SKIP:
                        values[path] = mark
                        self._attach(parent, value)
                    if parent is not None and parent.is_map:
                        parent.key = None
                    continue
                is_map = cls is mapping_start
                if path is None or event.tag not in (None, "!", _TAG + ("map" if is_map else "seq")):
                    if path is not None:
                        self._bad_tag(str(event.tag), mark)
                    frames.append(_Frame(None, (), skip=1))
                    continue
                container: Any = {} if is_map else []
                values[path] = mark
                self._attach(parent, container)
                frames.append(_Frame(container, path))
            elif cls is mapping_end or cls is sequence_end:
                depth -= 1
                frame = frames[-1]
                if frame.skip:
                    frame.skip -= 1
                    if frame.skip:
                        continue
                frames.pop()
                # A swallowed key leaves its value still to be dropped; any other value is
                # complete, and its mapping now expects a key again.
                if not frame.is_key and frames and frames[-1].is_map:
                    frames[-1].key = None
            elif cls is yaml.AliasEvent:
                raise _Refused(_ALIAS_REFUSED, event.start_mark)
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Refused("a manifest file holds one YAML document, found a second one",
                                   event.start_mark)

    def _attach(self, parent: _Frame | None, value: Any) -> None:
        if parent is None:
            self.root, self.has_root = value, True
        elif parent.is_map:
            parent.container[parent.key] = value
        else:
            parent.container.append(value)

    def _key(self, parent: _Frame, event: yaml.Event, frames: list[_Frame]) -> None:
        parent.key = _SKIP
        start = event.start_mark
        mark = start.line * _COLUMNS + start.column
        if not isinstance(event, yaml.ScalarEvent):
            self._report("keys must be plain strings, not mappings, lists or tagged values", mark)
            frames.append(_Frame(None, (), skip=1, is_key=True))
            return
        tag = self._tag(event)
        if tag != _STR:
            if tag in _SCALAR_TAGS:
                shown = _short(event.value)[1:-1] if event.value else "null"
                self._report(f"keys must be strings (got {shown}); quote it if it is meant as a name", mark)
            else:
                self._report("keys must be plain strings, not mappings, lists or tagged values", mark)
            return
        key = event.value
        first = parent.seen.get(key)
        if first is not None:
            self._report(
                f"duplicate key {_short(key)} (first written at line {first // _COLUMNS + 1}, "
                f"again at line {mark // _COLUMNS + 1})", mark)
            return
        parent.seen[key] = mark
        parent.key = key
        parent.key_path = parent.path + (key,)
        self.keys[parent.key_path] = mark

    def _tag(self, event: yaml.ScalarEvent) -> str:
        tag = event.tag
        if tag is not None and tag != "!":
            return str(tag)
        if not event.implicit[0]:
            return _STR  # quoted (or explicitly non-specific): always a string
        value = event.value
        found = self._tags.get(value)
        if found is None:
            found = self._tags[value] = str(_resolver.resolve(ScalarNode, value, event.implicit))
        return found

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        tag = self._tag(event)
        if tag == _STR or tag == _TIMESTAMP:
            return event.value  # a date-looking string is just a string here
        if tag not in _SCALAR_TAGS:
            self._bad_tag(tag, event.start_mark)
            return _SKIP
        memo = (tag, event.value)
        if memo in self._constructed:
            return self._constructed[memo]
        try:
            value = _constructor.construct_object(ScalarNode(tag, event.value), deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            value = event.value
        self._constructed[memo] = value
        return value

    def _report(self, message: str, mark: int | yaml.Mark) -> None:
        self.diagnostics.append(Diagnostic(message, _loc(self.file, mark)))

    def _bad_tag(self, tag: str, mark: int | yaml.Mark) -> None:
        shown = tag.replace(_TAG, "!!", 1) if tag.startswith(_TAG) else tag
        self._report(f"YAML tag {_short(shown)} is not supported in manifests", mark)


def _loc(file: str, mark: int | yaml.Mark | None) -> SourceLocation:
    if mark is None:
        return SourceLocation(file, 1, 1)
    if isinstance(mark, int):
        line, column = divmod(mark, _COLUMNS)
        return SourceLocation(file, line + 1, column + 1)
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
        builder.run(yaml.parse(text, Loader=_PARSER))
    except _Refused as exc:
        return None, [Diagnostic(exc.message, _loc(file, exc.mark))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and mark.index >= len(text.rstrip()) and exc.context_mark is not None:
            mark = exc.context_mark  # "unexpected end of file": point at what was left open
        if "maximum nesting depth" in str(exc.problem):
            # libyaml (PyYAML 6.0.3+) stops at 1,000 levels while scanning ahead, before any
            # event reaches our own, much lower, cap: it is the same refusal.
            return None, [Diagnostic(f"the YAML is nested deeper than {MAX_DEPTH} levels", _loc(file, mark))]
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
