"""`cmqinfra validate` and `cmqinfra schema` through the CLI; the generated reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from cmqinfra.cli import cli
from cmqinfra.manifest.reference import render_reference
from cmqinfra.manifest.schema import manifest_schema

from .conftest import REPO

SCHEMA_FILE = REPO / "cmqinfra" / "schemas" / "manifest.schema.json"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_validate_ok_prints_a_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = invoke("validate", "examples/order-events.yaml")
    assert (code, out, err) == (0, "ok: order-events: 3 queues, 1 topic, 3 subscriptions\n", "")


def test_validate_a_directory_reports_each_conflict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = invoke("validate", "examples")
    assert code == 1 and out == ""
    # three example stacks in one directory: the two later files conflict with the first
    assert [line.split(": error: ")[0] for line in err.splitlines()] == [
        "examples/order-events.yaml:3:8",
        "examples/orders.yaml:3:8",
    ]


def test_validate_json_lists_diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = invoke("validate", "--format", "json", "tests/manifest/invalid/several-problems.yaml")
    assert code == 1
    doc = json.loads(out)
    assert doc["valid"] is False and doc["error_count"] == len(doc["diagnostics"])
    data = doc["diagnostics"]
    assert data[0]["range"]["filename"] == "tests/manifest/invalid/several-problems.yaml"
    assert data[0]["range"]["start"] == {"line": 4, "column": 24}
    assert data[0]["summary"] == data[0]["message"]
    assert [(d["file"], d["line"], d["column"], d["severity"]) for d in data][:2] == [
        ("tests/manifest/invalid/several-problems.yaml", 4, 24, "error"),
        ("tests/manifest/invalid/several-problems.yaml", 5, 25, "error"),
    ]
    assert data[0]["message"] == "visibilityTimeout must be at least 1 (got 0)"
    ok = json.loads(invoke("validate", "--format", "json", "examples/orders.yaml")[1])
    assert ok["valid"] is True and ok["diagnostics"] == [] and ok["stack"] == "orders"


def test_validate_needs_a_path() -> None:
    proc = subprocess.run([sys.executable, "-m", "cmqinfra", "validate"], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_schema_prints_the_file_byte_for_byte() -> None:
    proc = subprocess.run([sys.executable, "-m", "cmqinfra", "schema"], capture_output=True, cwd=REPO)
    assert proc.returncode == 0
    assert proc.stdout == SCHEMA_FILE.read_bytes()
    assert proc.stdout == (REPO / "schemas" / "manifest.schema.json").read_bytes()


def test_repo_schema_is_a_relative_link_to_the_packaged_one() -> None:
    link = REPO / "schemas" / "manifest.schema.json"
    # What editors and check-jsonschema read is the packaged schema, in any copy of the tree...
    assert json.loads(link.read_text()) == json.loads(SCHEMA_FILE.read_text())
    if not (REPO / ".git").exists():
        return  # a scratch copy (mutation testing) holds the link as a plain file
    # ...and the repository keeps it as a relative link, never a second copy that could drift.
    staged = subprocess.run(
        ["git", "ls-files", "-s", "schemas/manifest.schema.json"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.split()
    assert staged and staged[0] == "120000", staged
    target = subprocess.run(
        ["git", "cat-file", "-p", staged[1]], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    assert not os.path.isabs(target)
    assert (link.parent / target).resolve() == SCHEMA_FILE.resolve()


def test_schema_is_valid_2020_12_with_a_description_everywhere() -> None:
    schema = manifest_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                assert prop.get("description"), f"{path}.{name} has no description"
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, f"{path} allows unknown fields"
            for key, value in node.items():
                walk(value, f"{path}.{key}")

    walk(schema, "$")


def test_examples_validate_against_the_raw_schema() -> None:
    import yaml

    validator = Draft202012Validator(manifest_schema())
    for path in sorted(p for p in (REPO / "examples").glob("*.yaml") if ".cmqtest." not in p.name):
        assert list(validator.iter_errors(yaml.safe_load(path.read_text()))) == [], path


def test_reference_doc_is_generated_from_the_schema() -> None:
    doc = (REPO / "docs" / "manifest-reference.md").read_text(encoding="utf-8")
    regenerate = "python -m cmqinfra.manifest.reference > docs/manifest-reference.md"
    assert doc == render_reference(), f"run: {regenerate}"
    for key in manifest_schema()["$defs"]["queue"]["properties"]:
        assert f"`{key}`" in doc


def test_reference_changes_with_the_schema() -> None:
    schema = json.loads(SCHEMA_FILE.read_text())
    schema["$defs"]["queue"]["properties"]["visibilityTimeout"]["maximum"] = 99
    assert "1..99" in render_reference(schema) and "1..99" not in render_reference()

