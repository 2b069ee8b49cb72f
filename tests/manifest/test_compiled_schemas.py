"""The schemas compiled ahead of time (cmqinfra/manifest/compiled/, tools/compile_schemas.py): they
are what the shipped schema files say, and each accepts exactly what jsonschema accepts."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from cmqinfra.flowtest.parse import cmqtest_schema
from cmqinfra.manifest.compiled import cmqtest, project
from cmqinfra.manifest.source import read_document
from cmqinfra.project.config import project_schema

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_modules_are_generated_from_the_shipped_schemas() -> None:
    done = subprocess.run(
        [sys.executable, "tools/compile_schemas.py", "--check"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def reference(schema: dict[str, Any]) -> Any:
    validator = Draft202012Validator(schema)
    return lambda data: not any(True for _ in validator.iter_errors(data))


def test_the_project_acceptor_agrees_with_jsonschema_on_every_project_file() -> None:
    valid = reference(project_schema())
    files = [p for p in REPO.glob("**/cmqinfra.yaml") if ".venv" not in p.parts]
    assert files
    for path in files:
        doc, _ = read_document(str(path))
        assert doc is not None
        assert project.accept(doc.data) == valid(doc.data), path
        assert project.accept(doc.data)
    assert not project.accept({"stacks": "not a mapping"})
    assert not valid({"stacks": "not a mapping"})


def test_the_flow_test_acceptor_agrees_with_jsonschema_on_every_test_file() -> None:
    valid = reference(cmqtest_schema())
    files = [p for p in REPO.glob("**/*.cmqtest.yaml") if ".venv" not in p.parts]
    assert files
    for path in files:
        doc, _ = read_document(str(path))
        if doc is None:
            continue
        assert cmqtest.accept(doc.data) == valid(doc.data), path


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(from_schema(copy.deepcopy(cmqtest_schema())))
def test_the_flow_test_acceptor_accepts_what_jsonschema_accepts(data: dict[str, Any]) -> None:
    assert cmqtest.accept(data) == reference(cmqtest_schema())(data)


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(from_schema(copy.deepcopy(project_schema())))
def test_the_project_acceptor_accepts_what_jsonschema_accepts(data: dict[str, Any]) -> None:
    assert project.accept(data) == reference(project_schema())(data)
