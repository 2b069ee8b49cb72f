"""The compiled fast path only ever accepts what jsonschema accepts: it may never let through
a manifest that the reference validator would reject, or diagnostics would silently vanish."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from cmqinfra.manifest.schema import _validator, is_valid_fast, manifest_schema
from cmqinfra.manifest.source import read_document

HERE = Path(__file__).parent
REPO = HERE.parents[1]


def reference_valid(data: Any) -> bool:
    return not any(True for _ in _validator().iter_errors(data))


def documents() -> list[Path]:
    return sorted((HERE / "invalid").glob("*.yaml")) + sorted(
        p for p in (REPO / "examples").glob("*.yaml") if ".cmqtest." not in p.name
    )


def test_the_fast_path_is_available() -> None:
    assert is_valid_fast({"stack": "s"})
    assert not is_valid_fast({"stack": "s", "queues": {"q": {"visibilityTimeout": 50000}}})


def test_fast_path_agrees_with_jsonschema_on_the_corpus_and_the_examples() -> None:
    checked = 0
    for path in documents():
        doc, _ = read_document(str(path))
        if doc is None:
            continue
        assert is_valid_fast(doc.data) == reference_valid(doc.data), path.name
        checked += 1
    assert checked >= 30


# Mutations that jsonschema judges exactly: wrong types, out-of-range and odd numbers, strings.
_odd = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _leaves(value, (*path, index))
    return out


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    data = copy.deepcopy(data)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(from_schema(copy.deepcopy(manifest_schema())), st.data())
def test_fast_path_never_accepts_what_jsonschema_rejects(data: dict[str, Any], draw: st.DataObject) -> None:
    assert is_valid_fast(data) == reference_valid(data)
    leaves = _leaves(data)
    if leaves:
        mutated = _replace(data, draw.draw(st.sampled_from(leaves)), draw.draw(_odd))
        if is_valid_fast(mutated):
            assert reference_valid(mutated)
