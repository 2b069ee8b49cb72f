"""The pure matching rules in cmqinfra.routing (shared with the offline `route` command)."""

from __future__ import annotations

import pytest

from cmqinfra.routing import binding_key_matches, binding_keys_match, filter_tags_match


@pytest.mark.parametrize(
    ("binding", "routing", "expected"),
    [
        ("1.*.0", "1.a.0", True),
        ("1.*.0", "1.0", False),
        ("1.*.0", "1.a.b.0", False),
        ("1.#.0", "1.0", True),
        ("1.#.0", "1.a.0", True),
        ("1.#.0", "1.a.b.c.0", True),
        ("1.#.0", "1.a.b.c.1", False),
        ("#", "", True),
        ("*", "", False),
        ("#", "a.b", True),
        ("*", "a", True),
        ("*", "a.b", False),
        ("a.b", "a.b", True),
        ("a.b", "a.c", False),
        ("#.#", "a", True),
        ("a.#", "a", True),
        ("#.a", "b.a", True),
        ("*.#", "", False),
        ("", "", True),
        ("", "a", False),
    ],
)
def test_binding_key_matches(binding: str, routing: str, expected: bool) -> None:
    assert binding_key_matches(binding, routing) is expected


def test_any_binding_key() -> None:
    assert binding_keys_match(["x", "1.#"], "1.2")
    assert not binding_keys_match([], "1.2")
    assert not binding_keys_match(None, "")


def test_filter_tags() -> None:
    assert filter_tags_match([], ["a"])
    assert filter_tags_match(None, None)
    assert filter_tags_match(["a", "b"], ["b", "c"])
    assert not filter_tags_match(["a"], ["c"])
    assert not filter_tags_match(["a"], [])
    assert not filter_tags_match(["a"], None)
