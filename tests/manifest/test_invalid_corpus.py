"""Every manifest under invalid/ must fail with exactly the located diagnostics in expected.yaml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cmqinfra.cli import cli

from .conftest import REPO

CORPUS = Path(__file__).parent / "invalid"
EXPECTED: dict[str, list[str]] = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
MANIFESTS = sorted(p.name for p in CORPUS.glob("*.yaml") if p.name != "expected.yaml")


def test_corpus_is_large_and_fully_described() -> None:
    assert len(MANIFESTS) >= 30
    assert sorted(EXPECTED) == MANIFESTS
    assert all(EXPECTED[name] for name in MANIFESTS), "every invalid manifest expects a diagnostic"


@pytest.mark.parametrize("name", MANIFESTS)
def test_invalid_manifest_reports_exact_lines(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    relative = f"tests/manifest/invalid/{name}"
    result = CliRunner().invoke(cli, ["validate", relative])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line]
    assert lines == [f"{relative}:{expected}" for expected in EXPECTED[name]]


@pytest.mark.parametrize("name", ["alias-bomb.yaml", "binary.yaml", "several-problems.yaml"])
def test_real_entry_point_reports_without_traceback(name: str) -> None:
    relative = f"tests/manifest/invalid/{name}"
    proc = subprocess.run([sys.executable, "-m", "cmqinfra", "validate", relative],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [f"{relative}:{expected}" for expected in EXPECTED[name]]
