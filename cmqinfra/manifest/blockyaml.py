"""A fast reader for the plain block YAML that manifests are written in, or a refusal.

Most manifests are nothing but indented ``key: value`` lines and ``- item`` lists. For such a
text this reads the data and every key's and value's position in one regular-expression pass
over the lines and one loop over them, without a parser event (a Python object, two position
objects) per key and value: at 10,000 queues a third of the local work was building those
events and walking them.

It accepts only what it is sure of and answers None for everything else, and then libyaml
reads the file (source.py), with every check and diagnostic: flow collections, block scalars,
multi-line or escaped scalars, anchors, aliases, tags, directives, document markers, tabs,
non-ASCII keys and values, a key without a value, a mapping inside a list item, a duplicate
or non-string key, bad indentation, and a text past the depth or node caps. What it accepts
it reads exactly as libyaml does: the same data in the same order and the same positions
(tests/manifest/test_blockyaml.py holds the two readers to each other).
"""

from __future__ import annotations

import re
from array import array
from functools import cache
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_TAG = "tag:yaml.org,2002:"
_STR, _TIMESTAMP = _TAG + "str", _TAG + "timestamp"
_CONSTRUCTED = {_TAG + t for t in ("int", "float", "bool", "null")}

# One match per line (re.M: ``^`` at every line start, the empty last line included), so a
# text is accepted only if the matches are as many as its lines. Groups: indentation, the
# list item's "- " (with the spaces after it), a key, the spaces after its colon, its value,
# a list item's value. A plain scalar starts with no indicator and is runs of printable ASCII
# but colons and spaces, joined by one colon or by spaces before anything but a comment (no
# ": ", "::" or " #"); it ends where the spaces before a comment or the line's end begin, taken
# possessively (no backtracking). Quoted scalars hold no quote of their own kind and no escape.
# A comment holds what the YAML reader accepts, less what it takes for a line break (NEL,
# U+2028, U+2029).
_PLAIN = r"[A-Za-z0-9_./$(~+][!-9;-~]*+(?:(?::| +(?![#\s]))[!-9;-~]++)*+"
_QUOTED = r"'[\x20-\x26\x28-\x7e]*'|\"[\x20\x21\x23-\x5b\x5d-\x7e]*\""
_VALUE = rf"(?:{_QUOTED}|{_PLAIN})"
_COMMENT = r"#[^\x00-\x08\n-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]*"
_LINE = (
    rf"^( *)(?:(?:(- +)?(?:([A-Za-z0-9_][A-Za-z0-9_.\-]*):(?:( +)({_VALUE}))?|({_VALUE})))"
    rf"(?: *| +{_COMMENT})|{_COMMENT})?$"
)


@cache
def _lines() -> re.Pattern[str]:
    """Compiled on the first read, not on import (a few milliseconds every command would pay)."""
    return re.compile(_LINE, re.M)

_resolver = Resolver()
_constructor = SafeConstructor()


class _Declined(Exception):
    """The text is not one this reader is sure of: libyaml reads it."""


class _Scalars:
    """A plain scalar's value by its text, resolved as libyaml's reader and the safe
    constructor resolve it (memoised: manifests repeat the same few texts)."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def tag(self, text: str) -> str:
        found = self.tags.get(text)
        if found is None:
            found = self.tags[text] = str(_resolver.resolve(ScalarNode, text, (True, False)))
        return found

    def value(self, text: str) -> Any:
        tag = self.tag(text)
        if tag == _STR or tag == _TIMESTAMP:  # a date-looking string is just a string here
            self.values[text] = text
            return text
        if tag not in _CONSTRUCTED:
            raise _Declined  # a merge key, "=", ...: the full reader reports it
        try:
            value = _constructor.construct_object(ScalarNode(tag, text), deep=True)
        except (ValueError, OverflowError, ArithmeticError):
            raise _Declined from None
        self.values[text] = value
        return value


def read_block(
    text: str, columns: int, max_depth: int, max_nodes: int
) -> tuple[Any, int, array[int], dict[int, int]] | None:
    """The root mapping, its packed position (line * ``columns`` + column, 0-based), and every
    container's key and value positions as source.py keeps them (``packed``, ``bases``); None
    when the text is not plain block YAML this reader is sure of."""
    if "\r" in text or "\t" in text:
        return None
    lines = _lines().findall(text)
    if len(lines) != text.count("\n") + 1:
        return None
    try:
        return _build(lines, columns, max_depth, max_nodes)
    except _Declined:
        return None


# Only a plain scalar whose first character starts an implicit type can be anything but a
# string; a quoted one is always a string.
_RESOLVED_FIRST = frozenset(k for k in Resolver.yaml_implicit_resolvers if k)
_QUOTES = frozenset("'\"")
_NOT_SEEN = object()


def _build(
    lines: list[tuple[str, str, str, str, str, str]], columns: int, max_depth: int, max_nodes: int
) -> tuple[Any, int, array[int], dict[int, int]]:
    """The loop runs once per line of an account-size manifest: a key line and a list item line
    each take their own few tests, and what they read are locals."""
    if None in Resolver.yaml_implicit_resolvers:
        raise _Declined  # a resolver for any first character: every scalar must be asked
    if 3 * len(lines) > max_nodes:
        raise _Declined  # a line holds at most three nodes: below this the cap cannot be reached
    scalars = _Scalars()
    memo = scalars.values.get
    named = _RESOLVED_FIRST  # a plain key or value starting otherwise is a string
    state = _State()
    container: Any = None
    is_map = False
    marks: list[int] = []
    indent = -1  # the open container's column
    pending: str | None = None  # a key written with no value on its line: a block follows
    pending_mark = 0
    for number, (spaces, dash, key, gap, value, item) in enumerate(lines):
        if key:
            if dash:
                raise _Declined  # a mapping inside a list item
            column = len(spaces)
            mark = number * columns + column
            if pending is not None:
                if column <= indent:
                    raise _Declined  # "key:" with nothing under it is null: the full reader
                new: Any = {}
                state.open(container, is_map, marks, indent, pending, pending_mark, mark, new, max_depth)
                container, is_map, marks, indent, pending = new, True, [], column, None
            elif column != indent or not is_map:
                if container is None:
                    if column:
                        raise _Declined  # a root away from the first column
                    container, is_map, indent = {}, True, 0
                    state.root, state.root_mark = container, mark
                else:
                    container, is_map, marks, indent = state.close(
                        container, is_map, marks, indent, column, False
                    )
            if key in container or (key[0] in named and scalars.tag(key) != _STR):
                raise _Declined  # a duplicate or a key that is not a string: the full reader reports it
            if not value:
                pending, pending_mark = key, mark
                continue
            first = value[0]
            if first in named:
                found = memo(value, _NOT_SEEN)
                container[key] = scalars.value(value) if found is _NOT_SEEN else found
            else:
                container[key] = value[1:-1] if first in _QUOTES else value
            marks.append(mark)
            marks.append(mark + len(key) + 1 + len(gap))
        elif item:
            if not dash:
                raise _Declined  # a scalar alone on its line
            column = len(spaces)
            mark = number * columns + column
            if pending is not None:
                if column < indent:
                    raise _Declined  # a list less deep than its key
                new = []
                state.open(container, is_map, marks, indent, pending, pending_mark, mark, new, max_depth)
                container, is_map, marks, indent, pending = new, False, [], column, None
            elif column != indent or is_map:
                if container is None:
                    raise _Declined  # a list at the root
                container, is_map, marks, indent = state.close(container, is_map, marks, indent, column, True)
            first = item[0]
            if first in named:
                found = memo(item, _NOT_SEEN)
                container.append(scalars.value(item) if found is _NOT_SEEN else found)
            else:
                container.append(item[1:-1] if first in _QUOTES else item)
            marks.append(mark + len(dash))
        elif dash:
            raise _Declined  # "- " alone
    if pending is not None or container is None:
        raise _Declined
    return state.finish(container, is_map, marks, indent)


class _State:
    """The enclosing containers and the positions of those closed (the loop keeps the open
    container's state in its locals; closing, a line in three, is done here)."""

    def __init__(self) -> None:
        self.packed: array[int] = array("q")
        self.bases: dict[int, int] = {}
        self.stack: list[tuple[Any, bool, list[int], int]] = []
        self.root: Any = None
        self.root_mark = 0

    def open(
        self, parent: Any, is_map: bool, marks: list[int], indent: int, key: str, key_mark: int, mark: int,
        block: Any, max_depth: int,
    ) -> None:
        """``block`` (a mapping or a list) becomes ``key``'s value, ``key`` written with nothing
        after it on its line; it starts at ``mark``, and ``parent`` waits on the stack."""
        parent[key] = block
        marks.append(key_mark)
        marks.append(mark)
        self.stack.append((parent, is_map, marks, indent))
        if len(self.stack) + 1 >= max_depth:
            raise _Declined

    def close(
        self, container: Any, is_map: bool, marks: list[int], indent: int, column: int, dash: bool
    ) -> tuple[Any, bool, list[int], int]:
        """Close what a line at ``column`` is not inside (a mapping indented deeper, a list
        indented deeper or, for a key line, as deep); it must then be an item of what is open."""
        while (column < indent) if is_map else (column < indent or (column == indent and not dash)):
            if not self.stack:
                raise _Declined
            self.bases[id(container)] = len(self.packed)
            self.packed.extend(marks)
            container, is_map, marks, indent = self.stack.pop()
        if column != indent or is_map == dash:
            raise _Declined  # indentation the full reader reports or reads otherwise
        return container, is_map, marks, indent

    def finish(
        self, container: Any, is_map: bool, marks: list[int], indent: int
    ) -> tuple[Any, int, array[int], dict[int, int]]:
        while True:
            self.bases[id(container)] = len(self.packed)
            self.packed.extend(marks)
            if not self.stack:
                break
            container, is_map, marks, indent = self.stack.pop()
        return self.root, self.root_mark, self.packed, self.bases
