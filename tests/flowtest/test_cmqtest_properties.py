"""Any document the test-file schema accepts loads, checks and runs without a traceback; anything
else is refused with located diagnostics."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from cmqinfra.flowtest.checks import check
from cmqinfra.flowtest.parse import cmqtest_schema, load_test_file
from cmqinfra.flowtest.run import run_file
from cmqinfra.manifest.source import parse_text
from cmqinfra.model import FilterType, Protocol, Queue, Stack, Subscription, Topic

STACK = Stack(
    name="s",
    queues=(Queue("a", visibility_timeout=30), Queue("b", visibility_timeout=30)),
    topics=(Topic("t", filter_type=FilterType.TAG),),
    subscriptions=(Subscription("t", "to-a", Protocol.QUEUE, "a"),),
)
SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _yaml(document: object) -> str:
    text = yaml.safe_dump(document)  # every character the YAML reader refuses raw is escaped
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no file can hold it
        assume(False)
    return text


def _write(text: str) -> str:
    handle = tempfile.NamedTemporaryFile("w", suffix=".cmqtest.yaml", delete=False, encoding="utf-8")
    with handle:
        handle.write(text)
    return handle.name


@SETTINGS
@given(from_schema(copy.deepcopy(cmqtest_schema())))  # from_schema rewrites what it is given
def test_schema_valid_documents_load_check_and_run(document: dict) -> None:
    path = _write(_yaml(document))
    try:
        test_file, diags = load_test_file(path)
        assert test_file is not None, [d.render() for d in diags]
        problems = check(test_file, STACK)
        if not problems:
            for result in run_file(test_file, STACK):
                assert result.passed or result.mismatches or result.error
    finally:
        Path(path).unlink()


@SETTINGS
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=12,
    )
)
def test_anything_else_is_refused_with_a_location(document: object) -> None:
    text = _yaml({"tests": [{"name": "t", "steps": [document]}]})
    doc, _ = parse_text("x.cmqtest.yaml", text)
    assert doc is not None
    path = _write(text)
    try:
        test_file, diags = load_test_file(path)
        if test_file is None:
            assert diags and all(d.location is not None and d.location.line >= 1 for d in diags)
    finally:
        Path(path).unlink()
