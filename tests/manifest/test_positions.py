"""Positions kept compact by the parser: every resource, key and value still located exactly.

The parser keeps one array of positions per file and finds a path's by walking the data (a
mapping's keys by their order, a large mapping's through an index built on first use); these pin
the file, line and column each kind of lookup gives, in mappings above and below that size.
"""

from __future__ import annotations

from pathlib import Path

from cmqinfra.manifest import load_stack
from cmqinfra.manifest.source import parse_text
from cmqinfra.manifest.unresolved import PATH_HINT, unresolved_references

from .conftest import messages

QUEUES = 30  # well above the size at which a mapping's keys are found through an index


def _many_queues() -> str:
    lines = ["stack: s", "queues:"]
    for i in range(QUEUES):
        lines += [f"  q{i:02d}:", f"    visibilityTimeout: {30 + i}", "    tags: {team: a}"]
    return "\n".join(lines) + "\n"


def test_every_resource_is_located_at_its_name(load) -> None:
    result = load(_many_queues())
    assert result.stack is not None
    # q{i} is written on line 3 + 3 i, column 3
    assert [(q.name, q.source.line, q.source.column) for q in result.stack.queues] == [
        (f"q{i:02d}", 3 + 3 * i, 3) for i in range(QUEUES)
    ]
    assert all(q.source.file.endswith("stack.yaml") for q in result.stack.queues)


def test_subscriptions_are_located_at_their_names(load) -> None:
    subs = "".join(f"      s{i:02d}: {{protocol: queue, endpoint: q}}\n" for i in range(12))
    result = load(f"stack: s\nqueues:\n  q: {{}}\ntopics:\n  t:\n    subscriptions:\n{subs}")
    assert result.stack is not None
    assert [(s.name, s.source.line, s.source.column) for s in result.stack.subscriptions] == [
        (f"s{i:02d}", 7 + i, 7) for i in range(12)
    ]


def test_a_bad_value_deep_in_a_large_mapping_is_located(load) -> None:
    text = _many_queues().replace("visibilityTimeout: 50", "visibilityTimeout: 0")  # q20, line 64
    [diag] = load(text).diagnostics
    assert (diag.location.line, diag.location.column) == (64, 24)
    assert "visibilityTimeout must be at least 1" in diag.message


def test_an_unknown_key_in_a_large_mapping_is_located_at_the_key(load) -> None:
    text = _many_queues().replace("  q25:\n", "  q25:\n    visibilitytimeout: 3\n")
    [diag] = load(text).diagnostics
    assert (diag.location.line, diag.location.column) == (79, 5)
    assert diag.message == 'unknown field "visibilitytimeout"'


def test_a_list_item_is_located(load) -> None:
    text = (
        "stack: s\nqueues:\n  q: {}\ntopics:\n  t:\n    filterType: routingKey\n    subscriptions:\n"
        "      a:\n        protocol: queue\n        endpoint: q\n        bindingKeys:\n"
        "          - ok\n          - " + "x" * 65 + "\n"
    )
    [diag] = load(text).diagnostics
    assert (diag.location.line, diag.location.column) == (13, 13)
    assert "is 65 bytes long" in diag.message


def test_a_key_written_again_after_its_refused_value_is_still_a_duplicate(load) -> None:
    result = load("stack: s\nqueues:\n  q:\n    trace: !!python/none x\n    trace: true\n")
    assert messages(result) == [
        'YAML tag "!!python/none" is not supported in manifests',
        'duplicate key "trace" (first written at line 4, again at line 5)',
    ]
    assert [d.location.line for d in result.diagnostics] == [4, 5]


def test_a_reference_written_with_an_escape_is_still_unresolved() -> None:
    doc, problems = parse_text("m.yaml", 'stack: s\nqueues:\n  q:\n    tags: {team: "\\x24{env.team}"}\n')
    assert doc is not None and not problems
    [diag] = unresolved_references(doc, PATH_HINT)
    assert diag.message.startswith("${env.team} is not resolved here")
    assert (diag.location.line, diag.location.column) == (4, 18)


def test_a_file_without_references_is_not_walked_but_one_with_them_is(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("stack: s\nqueues:\n  q: {tags: {team: a}}\n")
    assert load_stack([plain]).ok
    written = tmp_path / "written.yaml"
    written.write_text("stack: s\nqueues:\n  q: {tags: {team: '${var.team}'}}\n")
    [diag] = load_stack([written]).diagnostics
    assert "${var.team} is not resolved here" in diag.message and diag.location.line == 3


def test_a_resource_that_is_not_a_mapping_deep_in_a_large_mapping_is_located(load) -> None:
    text = _many_queues().replace("  q20:\n    visibilityTimeout: 50\n    tags: {team: a}\n", "  q20: 5\n")
    [diag] = load(text).diagnostics
    assert (diag.location.line, diag.location.column) == (63, 8)
    assert diag.message == "q20 must be a mapping (got 5)"
