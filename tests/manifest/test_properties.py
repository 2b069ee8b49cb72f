"""Property-based tests: manifests generated from the schema, and hostile mutations of them.

Whatever the input, loading never raises, finishes quickly, and every problem is a diagnostic
located inside the file that caused it.
"""

from __future__ import annotations

import copy
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from cmqinfra.cli import cli
from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest import LoadResult, load_stack
from cmqinfra.manifest.schema import check_document, manifest_schema
from cmqinfra.manifest.source import MAX_DEPTH, Document, parse_text

# Derandomized: CI runs are reproducible; change the seed locally to explore further.
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)
manifests = from_schema(copy.deepcopy(manifest_schema()))


def dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def load_text(content: str | bytes) -> tuple[Path, LoadResult, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.yaml"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        started = time.process_time()
        result = load_stack([path])
        elapsed = time.process_time() - started
        # The CLI path too: no exception escapes, exit code matches the result.
        cli_result = CliRunner().invoke(cli, ["validate", "--format", "json", str(path)])
        assert cli_result.exception is None or isinstance(cli_result.exception, SystemExit)
        assert cli_result.exit_code == (0 if result.stack is not None else 1)
        shown = json.loads(cli_result.stdout)["diagnostics"]
        flat = ("file", "line", "column", "severity", "message", "hint")
        assert [{k: d[k] for k in flat} for d in shown] == [d.to_json() for d in result.diagnostics]
        return path, result, elapsed


def yaml_lines(text: str) -> int:
    """Line breaks as YAML counts them (marks advance on NEL, LS and PS too, not only on \\n)."""
    return sum(text.count(ch) for ch in ("\n", "\x85", "\u2028", "\u2029"))


def assert_located(path: Path, result: LoadResult, lines: int) -> None:
    for diag in result.diagnostics:
        assert diag.location is not None
        assert diag.location.file == str(path)
        assert 1 <= diag.location.line <= max(lines, 1) + 1
        assert diag.location.column >= 1
        assert "\n" not in diag.render() and "Traceback" not in diag.message
    if result.stack is None:
        assert result.diagnostics, "a refused manifest must say why"


@SETTINGS
@given(manifests)
def test_schema_valid_manifests_get_only_semantic_diagnostics(data: dict[str, Any]) -> None:
    text = dump(data)
    path, result, elapsed = load_text(text)
    assert elapsed < 5
    assert_located(path, result, yaml_lines(text))
    # Round trip through YAML keeps it schema-valid, so any diagnostic is a semantic one.
    reparsed, _ = _parse(text)
    assert reparsed is not None and check_document(reparsed) == []
    if result.stack is not None:
        assert len(result.stack.queues) == len(data.get("queues", {}))
        assert len(result.stack.topics) == len(data.get("topics", {}))
        assert result.stack.name == data["stack"]


def _parse(text: str) -> tuple[Document | None, list[Diagnostic]]:
    return parse_text("m.yaml", text)


hostile_values = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _leaves(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _leaves(value, path + (i,))
    return out


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    clone = copy.copy(node)
    clone[path[0]] = _replace(node[path[0]], path[1:], value)
    return clone


@SETTINGS
@given(manifests, st.data())
def test_wrong_types_and_huge_numbers_anywhere_are_located(data: dict[str, Any], draw: st.DataObject) -> None:
    paths = _leaves(data)
    target = draw.draw(st.sampled_from(paths))
    mutated = _replace(data, target, draw.draw(hostile_values))
    text = dump(mutated)
    path, result, elapsed = load_text(text)
    assert elapsed < 5
    assert_located(path, result, yaml_lines(text))


names = st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=100)


@SETTINGS
@given(names, st.sampled_from(["queues", "topics"]))
def test_unicode_and_control_characters_in_names(name: str, section: str) -> None:
    text = dump({"stack": "s", section: {name: {}}})
    path, result, _ = load_text(text)
    assert_located(path, result, yaml_lines(text))
    if result.stack is None:
        assert result.diagnostics[0].location.line in (1, 2, 3)


@SETTINGS
@given(st.integers(min_value=1, max_value=3 * MAX_DEPTH), st.sampled_from(["[", "{a: "]))
@example(MAX_DEPTH - 1, "[")
@example(MAX_DEPTH, "[")
@example(MAX_DEPTH, "{a: ")
@example(10_000, "[")
def test_deep_nesting_is_refused_or_accepted_never_crashes(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    text = "stack: s\nqueues: " + opener * depth + closer * depth + "\n"
    path, result, elapsed = load_text(text)
    assert elapsed < 2 and result.stack is None
    assert_located(path, result, 2)
    if depth + 1 > MAX_DEPTH:  # the root mapping is the first level
        assert any("nested deeper" in d.message for d in result.diagnostics)


@SETTINGS
@given(st.integers(min_value=2, max_value=12), st.integers(min_value=2, max_value=12))
def test_alias_bombs_are_refused_in_one_line(levels: int, fanout: int) -> None:
    lines = ["stack: s", "l0: &l0 [x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fanout)}]" for i in range(1, levels)]
    path, result, elapsed = load_text("\n".join(lines) + "\n")
    assert elapsed < 1
    [diag] = result.diagnostics
    assert diag.location.line == 2 and "anchors" in diag.message


@SETTINGS
@given(st.binary(max_size=2000))
def test_binary_files(content: bytes) -> None:
    path, result, elapsed = load_text(content)
    assert elapsed < 2
    assert_located(path, result, content.count(b"\n"))


EXAMPLES = [p.read_bytes() for p in sorted((Path(__file__).parents[2] / "examples").glob("*.yaml"))]


@SETTINGS
@given(st.sampled_from(EXAMPLES), st.binary(min_size=1, max_size=50), st.integers(min_value=0))
def test_bytes_spliced_into_valid_manifests(raw: bytes, junk: bytes, where: int) -> None:
    cut = where % (len(raw) + 1)
    content = raw[:cut] + junk + raw[cut:]
    path, result, _ = load_text(content)
    assert_located(path, result, content.count(b"\n"))


def test_large_valid_manifest_loads_in_bounded_time(tmp_path: Path) -> None:
    body = "".join(f"  q{i:05d}: {{visibilityTimeout: {1 + i % 100}, tags: {{team: t{i % 7}}}}}\n"
                   for i in range(5000))
    path = tmp_path / "big.yaml"
    path.write_text("stack: s\nqueues:\n" + body)
    started = time.process_time()
    result = load_stack([path])
    assert time.process_time() - started < 20
    assert result.stack is not None and len(result.stack.queues) == 5000
