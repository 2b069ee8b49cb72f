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
from array import array
from collections.abc import Callable, Mapping
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

    Positions are turned into SourceLocations only when a diagnostic or a resource asks for one:
    a large manifest has hundreds of thousands of nodes and only a handful are ever pointed at. A
    parsed file keeps them compact (``marks``, one array for the whole file); a document built
    from another (a project's resolved copy) gives them by path (``values``, ``keys``).
    """

    file: str
    data: Any
    values: Mapping[DataPath, int] = field(default_factory=dict, compare=False, repr=False)
    keys: Mapping[DataPath, int] = field(default_factory=dict, compare=False, repr=False)
    # Values written elsewhere (a variable's value in an environment file): the path here, and
    # the document and path where it was written, so diagnostics point at the written text.
    links: Mapping[DataPath, tuple[Document, DataPath]] = field(default_factory=dict)
    marks: _Marks | None = field(default=None, compare=False, repr=False)
    # False only when the text cannot hold "${" in any key or value (unresolved.py skips it).
    may_reference: bool = field(default=True, compare=False, repr=False)

    def mark_of(self, path: DataPath) -> int | None:
        """The packed position of the value at exactly ``path`` (None: not written here)."""
        if self.marks is not None:
            return self.marks.find(self.data, path, False, False)
        return self.values.get(path)

    def key_mark_of(self, path: DataPath) -> int | None:
        """The packed position of the key naming exactly ``path`` (None: no such key)."""
        if self.marks is not None:
            return self.marks.find(self.data, path, True, False)
        return self.keys.get(path)

    def at(self, path: DataPath) -> SourceLocation:
        """Location of the value at ``path`` (or of its nearest written ancestor)."""
        links = self.links
        if links:
            for cut in range(len(path), -1, -1):
                head = path[:cut]
                if head in links:
                    other, where = links[head]
                    return other.at(where + path[cut:])
                mark = self.mark_of(head)
                if mark is not None:
                    return _loc(self.file, mark)
            return SourceLocation(self.file, 1, 1)
        if self.marks is not None:
            return _loc(self.file, self.marks.find(self.data, path, False, True))
        values = self.values
        for cut in range(len(path), -1, -1):
            mark = values.get(path[:cut])
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
        mark = self.key_mark_of(path)
        return _loc(self.file, mark) if mark is not None else self.at(path)


class _Marks:
    """Every position of one parsed file in one array of packed ints, found by walking the data.

    A mapping's keys and values sit two by two in the order the mapping holds them, a sequence's
    items one by one, each container's from the offset ``bases`` gives for it (by identity: the
    document's data is never changed after parsing). One dict entry per container instead of one
    path tuple and two dict entries per node: at 10,000 queues the positions take a sixth of the
    memory they took keyed by path, and no tuple is built while parsing.
    """

    __slots__ = ("root", "packed", "bases", "_indexes")

    def __init__(self, root: int, packed: array[int], bases: dict[int, int]) -> None:
        self.root = root
        self.packed = packed
        self.bases = bases
        self._indexes: dict[int, dict[Any, int]] = {}  # large mappings: key -> position in order

    def _index(self, mapping: dict[Any, Any], key: Any) -> int | None:
        if key not in mapping:
            return None
        if len(mapping) <= 8:
            for i, k in enumerate(mapping):
                if k == key:
                    return i
        found = self._indexes.get(id(mapping))
        if found is None:
            found = self._indexes[id(mapping)] = {k: i for i, k in enumerate(mapping)}
        return found[key]

    def find(self, data: Any, path: DataPath, key: bool, nearest: bool) -> int | None:
        """The mark of the value (or with ``key``, of the key) at ``path``; with ``nearest``, of
        the deepest value on the way when ``path`` itself was not written."""
        node, mark, packed = data, self.root, self.packed
        last = len(path) - 1
        for depth, step in enumerate(path):
            base = self.bases.get(id(node))
            found: int | None = None
            if base is not None:
                if type(node) is dict:
                    i = self._index(node, step)
                    if i is not None:
                        if key and depth == last:
                            return packed[base + 2 * i]
                        found = packed[base + 2 * i + 1]
                elif type(node) is list and type(step) is int and 0 <= step < len(node):
                    if key and depth == last:
                        return None
                    found = packed[base + step]
            if found is None:
                return mark if nearest and not key else None
            mark, node = found, node[step]
        return None if key and path else mark


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

    __slots__ = ("container", "is_map", "key", "key_mark", "marks", "skip", "is_key", "dropped")

    def __init__(self, container: Any, skip: int = 0, is_key: bool = False) -> None:
        self.container = container
        self.is_map = type(container) is dict
        self.key: object = None  # mapping: the key whose value comes next (None: a key comes next)
        self.key_mark = 0
        self.marks: list[int] = []  # key and value marks (a mapping) or item marks (a sequence)
        self.skip = skip
        self.is_key = is_key
        self.dropped: dict[str, int] | None = None  # keys reported and left out, with their marks


class _EventBuilder:
    """Builds plain data from YAML events, recording where every key and value was written.

    Working on the event stream (not on composed nodes, which cost five times as much to make)
    keeps this iterative, so hostile nesting cannot exhaust the stack, and lets anchors, aliases,
    depth and size be refused the moment they appear. The loop is written for speed (one pass,
    locals, memoised scalar resolution) because it runs once per node of every manifest.
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.packed: array[int] = array("q")
        self.bases: dict[int, int] = {}
        self.root_mark = 0
        self.diagnostics: list[Diagnostic] = []
        self.root: Any = None
        self.has_root = False
        # Plain scalars resolve by their text alone; manifests repeat the same few texts.
        self._tags: dict[str, str] = {}
        self._constructed: dict[tuple[str, str], Any] = {}

    def marks(self) -> _Marks:
        return _Marks(self.root_mark, self.packed, self.bases)

    def run(self, next_event: Callable[[], yaml.Event | None]) -> None:
        tags = self._tags
        packed, bases = self.packed, self.bases
        frames: list[_Frame] = []
        parent: _Frame | None = None
        documents = depth = nodes = 0
        scalar_event, mapping_start = yaml.ScalarEvent, yaml.MappingStartEvent
        sequence_start = yaml.SequenceStartEvent
        mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        while True:
            event = next_event()
            if event is None:
                break
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
                start = event.start_mark
                mark = start.line * _COLUMNS + start.column
                keep = True  # False: a value whose key was reported is dropped
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
                                and text not in parent.container
                                and parent.dropped is None
                            ):
                                parent.key = text
                                parent.key_mark = mark
                            else:
                                self._key(parent, event, mark, frames)
                                parent = frames[-1]
                            continue
                        keep = key is not _SKIP
                if is_scalar:
                    value = event.value
                    if event.tag is not None or (event.implicit[0] and tags.get(value) != _STR):
                        value = self._scalar(event, mark)
                    if keep:
                        if value is _SKIP:
                            if parent is not None and parent.is_map:
                                self._drop(parent)
                        elif parent is None:
                            self.root, self.has_root, self.root_mark = value, True, mark
                        elif parent.is_map:
                            parent.container[parent.key] = value
                            parent.marks += (parent.key_mark, mark)
                        else:
                            parent.container.append(value)
                            parent.marks.append(mark)
                    if parent is not None and parent.is_map:
                        parent.key = None
                    continue
                is_map = cls is mapping_start
                if not keep or event.tag not in (None, "!", _TAG + ("map" if is_map else "seq")):
                    if keep:
                        self._bad_tag(str(event.tag), mark)
                        if parent is not None and parent.is_map:
                            self._drop(parent)
                    parent = _Frame(None, skip=1)
                    frames.append(parent)
                    continue
                container: Any = {} if is_map else []
                if parent is None:
                    self.root, self.has_root, self.root_mark = container, True, mark
                elif parent.is_map:
                    parent.container[parent.key] = container
                    parent.marks += (parent.key_mark, mark)
                else:
                    parent.container.append(container)
                    parent.marks.append(mark)
                parent = _Frame(container)
                frames.append(parent)
            elif cls is mapping_end or cls is sequence_end:
                depth -= 1
                frame = frames[-1]
                if frame.skip:
                    frame.skip -= 1
                    if frame.skip:
                        continue
                else:
                    bases[id(frame.container)] = len(packed)
                    packed.extend(frame.marks)
                frames.pop()
                parent = frames[-1] if frames else None
                # A swallowed key leaves its value still to be dropped; any other value is
                # complete, and its mapping now expects a key again.
                if not frame.is_key and parent is not None and parent.is_map:
                    parent.key = None
            elif cls is yaml.AliasEvent:
                raise _Refused(_ALIAS_REFUSED, event.start_mark)
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Refused("a manifest file holds one YAML document, found a second one",
                                   event.start_mark)

    def _drop(self, parent: _Frame) -> None:
        """The key whose value was refused stays known, so writing it again is still a duplicate."""
        if parent.dropped is None:
            parent.dropped = {}
        parent.dropped.setdefault(str(parent.key), parent.key_mark)

    def _first_mark(self, parent: _Frame, key: str) -> int | None:
        if key in parent.container:
            return parent.marks[2 * list(parent.container).index(key)]
        return parent.dropped.get(key) if parent.dropped else None

    def _key(self, parent: _Frame, event: yaml.Event, mark: int, frames: list[_Frame]) -> None:
        parent.key = _SKIP
        if not isinstance(event, yaml.ScalarEvent):
            self._report("keys must be plain strings, not mappings, lists or tagged values", mark)
            frames.append(_Frame(None, skip=1, is_key=True))
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
        first = self._first_mark(parent, key)
        if first is not None:
            self._report(
                f"duplicate key {_short(key)} (first written at line {first // _COLUMNS + 1}, "
                f"again at line {mark // _COLUMNS + 1})", mark)
            return
        parent.key = key
        parent.key_mark = mark

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

    def _scalar(self, event: yaml.ScalarEvent, mark: int) -> Any:
        tag = self._tag(event)
        if tag == _STR or tag == _TIMESTAMP:
            return event.value  # a date-looking string is just a string here
        if tag not in _SCALAR_TAGS:
            self._bad_tag(tag, mark)
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
    loader = None
    try:
        loader = _PARSER(text)
        builder.run(loader.get_event)  # straight from the parser: no generator, no check_event
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
    finally:
        if loader is not None:
            loader.dispose()
    if not builder.has_root:
        empty = Diagnostic("file is empty: a manifest needs at least `stack:`", SourceLocation(file, 1, 1))
        return None, [empty]
    # No "${" can come out of a text without one, unless written with escapes (\x24, \u0024).
    may_reference = "${" in text or "\\" in text
    document = Document(file, builder.root, marks=builder.marks(), may_reference=may_reference)
    return document, builder.diagnostics


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
