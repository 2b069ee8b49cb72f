"""The plain-block reader against libyaml's: the same data and positions, or a refusal.

blockyaml.py reads most manifests without libyaml's events. Whatever it accepts must come out
exactly as the event reader gives it (every value, every key, in order, every value's and key's
position), and with no diagnostic the event reader would give; everything else it must refuse,
so the event reader reads it with every check.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.workload import Workload, write_manifests
from cmqinfra.manifest import load_stack
from cmqinfra.manifest.blockyaml import read_block
from cmqinfra.manifest.source import _COLUMNS, MAX_DEPTH, MAX_NODES, Document, parse_events, parse_text

REPO = Path(__file__).resolve().parents[2]


def paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out += paths(value, prefix + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += paths(value, prefix + (index,))
    return out


def positions(doc: Document) -> list[tuple[Any, ...]]:
    """Every path with its value's and key's location, as diagnostics would name them."""
    return [
        (path, doc.at(path), doc.key_at(path), doc.mark_of(path), doc.key_mark_of(path))
        for path in paths(doc.data)
    ]


def assert_same_as_events(text: str) -> bool:
    """True when the block reader accepted ``text`` (and then read it as libyaml does)."""
    events, event_diags = parse_events("m.yaml", text)
    if read_block(text, _COLUMNS, MAX_DEPTH, MAX_NODES) is None:
        return False
    block, block_diags = parse_text("m.yaml", text)
    assert block is not None and block_diags == []
    assert event_diags == [], f"accepted a text the event reader reports: {event_diags}"
    assert events is not None
    assert block.data == events.data
    assert [list(d) for d in paths(block.data) if isinstance(d, dict)] == [
        list(d) for d in paths(events.data) if isinstance(d, dict)
    ]
    assert _order(block.data) == _order(events.data)
    assert positions(block) == positions(events)
    assert block.may_reference == events.may_reference
    return True


def _order(data: Any) -> Any:
    """The data with every mapping's key order made visible (dict equality ignores it)."""
    if isinstance(data, dict):
        return [(k, _order(v)) for k, v in data.items()]
    if isinstance(data, list):
        return [_order(v) for v in data]
    return (type(data).__name__, data)


def test_the_account_size_workload_is_read_without_events(tmp_path: Path) -> None:
    manifests = write_manifests(Workload.of_size(300), tmp_path)
    for file in sorted(manifests.glob("*.yaml")):
        assert assert_same_as_events(file.read_text())


def test_every_example_manifest_reads_the_same_either_way() -> None:
    files = sorted((REPO / "examples").rglob("*.yaml"))
    assert files
    accepted = [f for f in files if assert_same_as_events(f.read_text(encoding="utf-8"))]
    assert accepted  # the examples are plain block YAML for the most part


ACCEPTED = [
    "stack: s\nqueues:\n  a:\n    visibilityTimeout: 30\n",
    "stack: s  # trailing comment\n# a comment line\n\nqueues:\n  a:\n    tags:\n      t: v\n",
    "topics:\n  t:\n    subscriptions:\n      s:\n        bindingKeys:\n        - order.#\n        - 'a.*'\n",
    "topics:\n  t:\n    filterTags:\n      - x\n      - \"y z\"\n    n: 1\n",
    "a: http://host:8080/path\nb: a:b\nc: x# y\nd: ${VAR}\ne: '' \nf: 1.5\ng: true\nh: ~\n",
    "a:   spaced    \nb: 007\nc: 0x1F\nd: 2001-12-14\ne: .inf\nf: +1\n",
    "a:\n- x\n- y\nb: 1\n",  # a list as deep as its key, then the next key
    "a:\n  -   x\n  -  'y'  # c\n",  # spaces after the dash
    "a:\n  b:\n  - x\n  c:\n    - y\n  d: 2\ne: 3\n",
    "  a: 1\n  b: 2\n",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_plain_block_yaml_is_read_as_libyaml_reads_it(text: str) -> None:
    if text.startswith("  "):
        assert not assert_same_as_events(text)  # a root away from the first column: refused
    else:
        assert assert_same_as_events(text)


REFUSED = [
    "a:\nb: 1\n",  # null value
    "a: &x 1\n",  # anchor
    "a: *x\n",  # alias
    "a: !!str 1\n",  # tag
    "a: {b: 1}\n",  # flow mapping
    "a: [1]\n",  # flow sequence
    "a: |\n  text\n",  # block scalar
    "a: b\n  c\n",  # multi-line plain scalar
    "a:\n\tb: 1\n",  # tab
    "a: 1\na: 2\n",  # duplicate key
    "yes: 1\n",  # a key that is not a string
    "1: 1\n",
    "a: b: c\n",  # a mapping where a scalar goes
    "a:\n  - b: 1\n",  # a mapping inside a list item
    "---\na: 1\n",  # document marker
    "%YAML 1.1\n---\na: 1\n",
    "- a\n",  # a list at the root
    "a: 1\r\nb: 2\r\n",  # CR line ends
    "a: 'it''s'\n",  # an escaped quote
    'a: "\\u0041"\n',  # an escape
    "a: é\n",  # non-ASCII value
    "a: <<\n",  # merge key as a value
    "<<: 1\n",
    "a:\n  b: 1\n c: 2\n",  # bad indentation
    "a:\n  - x\n  b: 1\n",
    "a:\n  b:\n - x\n",  # a list less deep than its key
    "a:\n  b: 1\n  - x\n",
    "# only a comment\n",
    "",
    "a: 1 # \x85 NEL breaks the line\n",
]


@pytest.mark.parametrize("text", REFUSED)
def test_anything_else_is_left_to_libyaml(text: str) -> None:
    assert read_block(text, _COLUMNS, MAX_DEPTH, MAX_NODES) is None
    assert parse_text("m.yaml", text) == parse_events("m.yaml", text)


def test_a_text_past_the_caps_is_refused_for_libyaml_to_report() -> None:
    deep = "".join(f"{'  ' * i}k{i}:\n" for i in range(MAX_DEPTH + 2)) + f"{'  ' * (MAX_DEPTH + 2)}v: 1\n"
    assert read_block(deep, _COLUMNS, MAX_DEPTH, MAX_NODES) is None
    # 120 nodes in 61 lines (the empty last one too): a line holds at most three nodes, so the
    # reader is sure of the cap only up to a third of it in lines
    wide = "".join(f"k{i}: 1\n" for i in range(60))
    assert read_block(wide, _COLUMNS, MAX_DEPTH, 3 * 61 - 1) is None
    assert read_block(wide, _COLUMNS, MAX_DEPTH, 3 * 61) is not None
    assert parse_events("m.yaml", wide)[1] == []


def test_diagnostics_still_name_file_line_and_field(tmp_path: Path) -> None:
    """A schema error in a file the block reader read points where it was written."""
    manifest = tmp_path / "q.yaml"
    manifest.write_text("stack: s\nqueues:\n  orders:\n    visibilityTimeout: 99999\n    colour: blue\n")
    result = load_stack([manifest])
    assert result.stack is None
    shown = sorted((d.location.line, d.location.column, d.message) for d in result.diagnostics if d.location)
    assert shown[0][:2] == (4, 24) and "visibilityTimeout" in shown[0][2]
    assert shown[1][:2] == (5, 5) and "colour" in shown[1][2]


# Lines built from the pieces that decide between the readers: indentation, list dashes, keys
# that are and are not strings, values with indicators, quotes, comments, spaces and colons.
_keys = st.sampled_from(["a", "b", "name", "x.y", "k-1", "yes", "1", "null", "~", "<<", "a b", "é"])
_values = st.sampled_from([
    "1", "v", "order.#", "a #c", "a# b", "x: y", "x:", "http://h:1/p", "'q'", "''", '"d q"', "'it''s'",
    '"e\\n"', "*a", "&a v", "!!str 1", "{a: 1}", "[1]", "|", ">", "-1", "- v", "true", "~", "null",
    "1.5", "0x10", "2001-01-01", "${V}", "a  b", "v  ", "é", "=", "<<", "%x", "@x", "`x", "?x", ":x",
])
_line = st.one_of(
    st.tuples(st.integers(0, 6), _keys).map(lambda t: " " * t[0] + t[1] + ":"),
    st.tuples(st.integers(0, 6), _keys, _values).map(lambda t: " " * t[0] + f"{t[1]}: {t[2]}"),
    st.tuples(st.integers(0, 6), _values).map(lambda t: " " * t[0] + f"- {t[1]}"),
    st.tuples(st.integers(0, 6), st.sampled_from(["# c", "#", "", "\t", "---", "..."])).map(
        lambda t: " " * t[0] + t[1]
    ),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, min_size=1, max_size=12), st.booleans())
def test_generated_texts_read_the_same_or_are_refused(lines: list[str], final_newline: bool) -> None:
    text = "\n".join(lines) + ("\n" if final_newline else "")
    assert_same_as_events(text)


@settings(max_examples=200, deadline=None)
@given(st.lists(_line, min_size=1, max_size=12))
def test_generated_texts_start_like_manifests(lines: list[str]) -> None:
    """The same, under a valid start, so more of them get past the first line."""
    assert_same_as_events("stack: s\nqueues:\n  q:\n" + "\n".join("    " + line for line in lines) + "\n")


# Whole documents: nested mappings and lists written in block style, with the indentation step,
# indentless or indented lists, comments and trailing spaces chosen at random, then perhaps one
# line shifted by a column: most are plain block YAML, some only nearly.
_plain_values = st.sampled_from(["1", "v", "order.#", "a# b", "x:y", "http://h:1/p", "'q'", "\"d q\"",
                                 "true", "~", "1.5", "${V}", "a  b", "v-1", "0o7", "2001-01-01"])
_scalars = st.one_of(_plain_values, _values)
_trees = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(_scalars, min_size=1, max_size=3),
        st.dictionaries(
            st.sampled_from(["a", "b", "c", "name", "x.y", "k-1", "yes"]), inner, min_size=1, max_size=3
        ),
    ),
    max_leaves=12,
)


def _render(tree: Any, column: int, step: int, indentless: bool, comment: bool) -> list[str]:
    lines: list[str] = []
    for key, value in tree.items():
        head = " " * column + f"{key}:"
        if isinstance(value, dict):
            lines.append(head + ("  # c" if comment else ""))
            lines += _render(value, column + step, step, indentless, comment)
        elif isinstance(value, list):
            lines.append(head)
            at = column if indentless else column + step
            lines += [" " * at + f"- {item}" for item in value]
        else:
            lines.append(head + f" {value}" + (" " if comment else ""))
    return lines


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(["stack", "queues", "topics", "q"]), _trees, min_size=1, max_size=3),
    st.integers(1, 4),
    st.booleans(),
    st.booleans(),
    st.one_of(st.none(), st.tuples(st.integers(0, 40), st.sampled_from([-1, 1]))),
)
def test_generated_documents_read_the_same_or_are_refused(
    tree: dict[str, Any], step: int, indentless: bool, comment: bool, shift: tuple[int, int] | None
) -> None:
    lines = _render(tree, 0, step, indentless, comment)
    if shift is not None:
        at, by = shift[0] % len(lines), shift[1]
        lines[at] = lines[at][1:] if by < 0 and lines[at].startswith(" ") else " " * max(by, 0) + lines[at]
    assert_same_as_events("\n".join(lines) + "\n")
