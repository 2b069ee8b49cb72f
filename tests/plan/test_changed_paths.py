"""The plan's attribute diff (``changed_paths``) against deepdiff, which it replaced on the plan
path: the same changed manifest paths on manifest-shaped data, once list indices are dropped."""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff
from hypothesis import given, settings
from hypothesis import strategies as st

from cmqinfra.plan.diff import changed_paths

_KINDS = (
    "values_changed",
    "type_changes",
    "dictionary_item_added",
    "dictionary_item_removed",
    "iterable_item_added",
    "iterable_item_removed",
)


def deepdiff_paths(before: dict[str, Any], after: dict[str, Any]) -> set[tuple[str, ...]]:
    """What the plan asked deepdiff for, reduced as attribute_changes reduces it."""
    diff = DeepDiff(before, after, ignore_order=True, view="tree")
    out = set()
    for kind in _KINDS:
        for level in diff.get(kind, []):
            out.add(tuple(p for p in level.path(output_format="list") if isinstance(p, str)))
    return out


def ours(before: dict[str, Any], after: dict[str, Any]) -> set[tuple[str, ...]]:
    return {tuple(p for p in path if isinstance(p, str)) for path in changed_paths(before, after)}


scalars = st.one_of(
    st.integers(-3, 3), st.booleans(), st.none(), st.sampled_from(["a", "b", "A"]), st.sampled_from([1.5])
)
# Manifest-shaped: attributes, a nested mapping (deadLetter, tags), lists of distinct scalars. Both
# sides have the same attributes, as in the plan (the live side is cut to what the desired one
# manages), and the nested mappings may differ in keys.
values = st.one_of(
    scalars,
    st.lists(st.sampled_from(["x", "y", "z"]), unique=True, max_size=3),
    st.dictionaries(st.sampled_from(["queue", "maxReceiveCount", "team"]), scalars, max_size=3),
)
ATTRIBUTES = ["visibilityTimeout", "deadLetter", "tags", "filterTags", "trace"]


@st.composite
def pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = draw(st.lists(st.sampled_from(ATTRIBUTES), unique=True, min_size=1))
    return {k: draw(values) for k in keys}, {k: draw(values) for k in keys}


@settings(max_examples=400, deadline=None, derandomize=True)
@given(pairs())
def test_the_same_paths_as_deepdiff(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    before, after = pair
    assert ours(before, after) == deepdiff_paths(before, after)


def test_examples_worked_by_hand() -> None:
    assert ours({"a": 1}, {"a": 1}) == set()
    assert ours({"a": 1}, {"a": True}) == {("a",)}  # a type change, though 1 == True
    assert ours({"a": 1}, {"a": 1.0}) == {("a",)}
    assert ours({"t": ["x", "y"]}, {"t": ["y", "x"]}) == set()  # order is no change
    assert ours({"t": ["x"]}, {"t": ["x", "y"]}) == {("t",)}
    assert ours({"d": {"q": "a", "n": 3}}, {"d": {"q": "a", "n": 4}}) == {("d", "n")}
    assert ours({"d": {"q": "a"}}, {"d": None}) == {("d",)}
    assert ours({"tags": {"team": "a"}}, {"tags": {"owner": "b"}}) == {("tags",)}  # nothing in common
    assert ours({"d": {}}, {"d": {"q": "a"}}) == {("d", "q")}
    assert ours({"tags": {"team": "a", "k": 1}}, {"tags": {"owner": "b", "k": 1}}) == {
        ("tags", "team"),
        ("tags", "owner"),
    }
    assert ours({}, {"x": 1}) == {("x",)} and ours({"x": 1}, {}) == {("x",)}
