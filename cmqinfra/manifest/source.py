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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.blockyaml import read_block
from cmqinfra.model import SourceLocation, assembled

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

    def key_marks(self, mapping: dict[str, Any]) -> Sequence[int] | None:
        """The marks of ``mapping``'s keys in its order, when ``mapping`` (a part of this
        document's data) was parsed here; None otherwise (ask ``key_at`` key by key)."""
        if self.marks is None or self.links:
            return None
        base = self.marks.bases.get(id(mapping))
        if base is None or type(mapping) is not dict:
            return None
        return self.marks.packed[base : base + 2 * len(mapping) : 2]

    def location(self, mark: int) -> SourceLocation:
        """A mark from ``key_marks`` as a location in this file (``_loc``'s, inline and assembled:
        one per resource of every load)."""
        line, column = divmod(mark, _COLUMNS)
        return assembled(SourceLocation, {"file": self.file, "line": line + 1, "column": column + 1})

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
_MAP, _SEQ = _TAG + "map", _TAG + "seq"
# A plain scalar resolves to something other than a string only if an implicit resolver is
# registered for its first character (digits, signs, y/n/t/f/o for booleans, ~ and "" for null):
# names, the bulk of a manifest's scalars, are known strings without asking the resolver.
class _Every:
    def __contains__(self, item: object) -> bool:
        return True


_RESOLVED_FIRST: frozenset[str | None] | _Every = (
    frozenset(Resolver.yaml_implicit_resolvers)
    if None not in Resolver.yaml_implicit_resolvers
    else _Every()  # a resolver for any first character: always ask
)
_TIMESTAMP = _TAG + "timestamp"
_ALIAS_REFUSED = (
    "YAML aliases (*name) are not supported in manifests; use the `defaults` block to share settings"
)
_ANCHOR_REFUSED = (
    "YAML anchors (&name) are not supported in manifests; use the `defaults` block to share settings"
)


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
        self._plain: dict[str, Any] = {}  # untagged plain scalars resolved to non-strings, by text

    def marks(self) -> _Marks:
        return _Marks(self.root_mark, self.packed, self.bases)

    def run(self, next_event: Callable[[], yaml.Event | None]) -> None:
        """The open containers' state lives in locals (the innermost one's) and in ``stack``
        (its ancestors'): attribute lookups per event were most of this loop's time."""
        tags, packed, bases, plain_values = self._tags, self.packed, self.bases, self._plain
        # Globals the loop reads per event, as locals (a local costs a third of a global).
        resolved_first, columns, max_nodes, skip, string = _RESOLVED_FIRST, _COLUMNS, MAX_NODES, _SKIP, _STR
        stack: list[tuple[Any, bool, list[int], dict[str, int] | None]] = []
        container: Any = None  # the innermost open mapping or sequence (None: at the root)
        is_map = False
        marks: list[int] = []  # its key and value marks (a mapping) or item marks (a sequence)
        dropped: dict[str, int] | None = None  # its keys reported and left out, with their marks
        key: object = None  # in a mapping: the key whose value comes next (None: a key comes next)
        key_mark = 0
        skipping = 0  # depth inside a subtree being swallowed (a refused key or value)
        skip_is_key = False
        documents = depth = nodes = 0
        scalar_event, mapping_start = yaml.ScalarEvent, yaml.MappingStartEvent
        sequence_start = yaml.SequenceStartEvent
        mapping_end, sequence_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
        while True:
            event = next_event()
            if event is None:
                break
            cls = event.__class__
            if cls is scalar_event:
                if event.anchor is not None:
                    raise _Refused(_ANCHOR_REFUSED, event.start_mark)
                nodes += 1
                if nodes > max_nodes:
                    raise _Refused(f"the YAML has more than {MAX_NODES} nodes", event.start_mark)
                if skipping:
                    continue
                start = event.start_mark
                mark = start.line * columns + start.column
                value = event.value
                plain = event.tag is None and (
                    not event.implicit[0]
                    or value[:1] not in resolved_first
                    or tags.get(value) == string
                )
                if is_map:
                    if key is None:
                        # The common case inline: a plain string key written once.
                        if plain and dropped is None and value not in container:
                            key, key_mark = value, mark
                        else:
                            key, key_mark = self._scalar_key(container, marks, dropped, event, mark), mark
                        continue
                    if not plain:
                        # A plain number, boolean or null written before: its value by its text.
                        value = plain_values.get(value, skip) if event.tag is None else skip
                        if value is skip:
                            value = self._scalar(event, mark)
                    if key is not skip:
                        if value is skip:
                            dropped = _dropped(dropped, key, key_mark)
                        else:
                            container[key] = value
                            marks.append(key_mark)
                            marks.append(mark)
                    key = None
                    continue
                if not plain:
                    value = plain_values.get(value, skip) if event.tag is None else skip
                    if value is skip:
                        value = self._scalar(event, mark)
                if value is skip:
                    continue
                if container is None:
                    self.root, self.has_root, self.root_mark = value, True, mark
                else:
                    container.append(value)
                    marks.append(mark)
            elif cls is mapping_start or cls is sequence_start:
                if event.anchor is not None:
                    raise _Refused(_ANCHOR_REFUSED, event.start_mark)
                nodes += 1
                if nodes > max_nodes:
                    raise _Refused(f"the YAML has more than {MAX_NODES} nodes", event.start_mark)
                depth += 1
                if depth > MAX_DEPTH:
                    raise _Refused(f"the YAML is nested deeper than {MAX_DEPTH} levels", event.start_mark)
                if skipping:
                    skipping += 1
                    continue
                start = event.start_mark
                mark = start.line * columns + start.column
                new_is_map = cls is mapping_start
                if is_map and key is None:
                    self._report("keys must be plain strings, not mappings, lists or tagged values", mark)
                    key, skipping, skip_is_key = skip, 1, True  # and its value is dropped too
                    continue
                if is_map and key is skip:
                    skipping, skip_is_key = 1, False
                    continue
                if event.tag not in (None, "!", _MAP if new_is_map else _SEQ):
                    self._bad_tag(str(event.tag), mark)
                    if is_map:
                        dropped = _dropped(dropped, key, key_mark)
                    skipping, skip_is_key = 1, False
                    continue
                new: Any = {} if new_is_map else []
                if container is None:
                    self.root, self.has_root, self.root_mark = new, True, mark
                elif is_map:
                    container[key] = new
                    marks.append(key_mark)
                    marks.append(mark)
                else:
                    container.append(new)
                    marks.append(mark)
                stack.append((container, is_map, marks, dropped))
                container, is_map, marks, dropped, key = new, new_is_map, [], None, None
            elif cls is mapping_end or cls is sequence_end:
                depth -= 1
                if skipping:
                    skipping -= 1
                    if not skipping and not skip_is_key:
                        key = None  # the swallowed value is done; a swallowed key leaves skip
                    continue
                bases[id(container)] = len(packed)
                packed.extend(marks)
                container, is_map, marks, dropped = stack.pop()
                key = None
            elif cls is yaml.AliasEvent:
                raise _Refused(_ALIAS_REFUSED, event.start_mark)
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Refused("a manifest file holds one YAML document, found a second one",
                                   event.start_mark)

    def _scalar_key(
        self, container: dict[str, Any], marks: list[int], dropped: dict[str, int] | None,
        event: yaml.ScalarEvent, mark: int,
    ) -> object:
        """A key that is not a plain string written once: the key, or _SKIP once reported."""
        tag = self._tag(event)
        if tag != _STR:
            if tag in _SCALAR_TAGS:
                shown = _short(event.value)[1:-1] if event.value else "null"
                self._report(f"keys must be strings (got {shown}); quote it if it is meant as a name", mark)
            else:
                self._report("keys must be plain strings, not mappings, lists or tagged values", mark)
            return _SKIP
        key = event.value
        if key in container:
            first: int | None = marks[2 * list(container).index(key)]
        else:
            first = dropped.get(key) if dropped else None
        if first is not None:
            self._report(
                f"duplicate key {_short(key)} (first written at line {first // _COLUMNS + 1}, "
                f"again at line {mark // _COLUMNS + 1})", mark)
            return _SKIP
        return key

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
            if event.tag is None and event.implicit[0]:
                self._plain[event.value] = event.value
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
        if event.tag is None and event.implicit[0]:
            self._plain[event.value] = value
        return value

    def _report(self, message: str, mark: int | yaml.Mark) -> None:
        self.diagnostics.append(Diagnostic(message, _loc(self.file, mark)))

    def _bad_tag(self, tag: str, mark: int | yaml.Mark) -> None:
        shown = tag.replace(_TAG, "!!", 1) if tag.startswith(_TAG) else tag
        self._report(f"YAML tag {_short(shown)} is not supported in manifests", mark)


def _dropped(dropped: dict[str, int] | None, key: object, mark: int) -> dict[str, int]:
    """A key whose value was refused stays known, so writing it again is still a duplicate."""
    out = {} if dropped is None else dropped
    out.setdefault(str(key), mark)
    return out


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
    block = read_block(text, _COLUMNS, MAX_DEPTH, MAX_NODES)
    if block is None:
        return parse_events(file, text)
    # Plain block YAML (blockyaml.py), read as libyaml reads it, without its events.
    root, root_mark, packed, bases = block
    marks = _Marks(root_mark, packed, bases)
    return Document(file, root, marks=marks, may_reference=_may_reference(text)), []


def _may_reference(text: str) -> bool:
    """No "${" can come out of a text without one, unless written with escapes (\\x24, \\u0024)."""
    return "${" in text or "\\" in text


def parse_events(file: str, text: str) -> tuple[Document | None, list[Diagnostic]]:
    """Parse any YAML text through libyaml's events, with every refusal and diagnostic."""
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
    document = Document(file, builder.root, marks=builder.marks(), may_reference=_may_reference(text))
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
