"""Export, then plan on the export: no changes. On every example and on a brownfield account."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cmqinfra.emulator import Emulator

sys.path.insert(0, str(Path(__file__).parent))
from brownfield import QUEUES, TOPICS, make_brownfield  # noqa: E402
from cli_helpers import example_manifests, run  # noqa: E402


@pytest.mark.parametrize("example", example_manifests(), ids=lambda p: p.name)
def test_export_of_an_applied_example_plans_no_changes(
    example: Path, emulator: Emulator, tmp_path: Path
) -> None:
    stack = yaml.safe_load(example.read_text())["stack"]
    applied = run("apply", str(example), "--endpoint", emulator.url, "--auto-approve")
    assert applied.code == 0, applied.stderr
    exported = run("export", "--stack", stack, "--endpoint", emulator.url, "-o", str(tmp_path))
    assert exported.code == 0, exported.stderr
    manifest = tmp_path / f"{stack}.yaml"
    assert manifest.read_text().startswith("# yaml-language-server: $schema=")
    assert run("validate", str(manifest)).code == 0
    plan = run("plan", str(manifest), "--endpoint", emulator.url, "--detailed-exitcode")
    assert plan.code == 0, plan.stdout + plan.stderr
    assert "No changes." in plan.stdout


def test_brownfield_export_adopts_then_converges(
    tdmq_client: Any, emulator: Emulator, tmp_path: Path
) -> None:
    make_brownfield(tdmq_client)
    manifest = tmp_path / "legacy.yaml"
    exported = run("export", "--all", "--stack", "legacy", "--endpoint", emulator.url, "-o", str(manifest))
    assert exported.code == 0, exported.stderr
    doc = yaml.safe_load(manifest.read_text())
    assert len(doc["queues"]) == QUEUES and len(doc["topics"]) == TOPICS
    assert run("validate", str(manifest)).code == 0

    # applied, the export adopts every queue and topic and changes nothing else
    plan = run("plan", str(manifest), "--endpoint", emulator.url, "--format", "json")
    assert plan.code == 0, plan.stderr
    for change in json.loads(plan.stdout)["resource_changes"]:
        if change["change"]["actions"] == ["no-op"]:
            continue
        assert change["change"].get("adopt") is True, change
        drift = [a for a in change["change"]["attribute_changes"] if "cmqinfra-" not in a["path"]]
        assert drift == [], change["address"]
    summary = json.loads(plan.stdout)["summary"]
    assert summary.get("adopt", 0) == QUEUES + TOPICS, summary
    assert summary.get("add", 0) == 0 and summary.get("destroy", 0) == 0

    assert run("apply", str(manifest), "--endpoint", emulator.url, "--auto-approve").code == 0
    again = run("plan", str(manifest), "--endpoint", emulator.url, "--detailed-exitcode")
    assert again.code == 0, again.stdout + again.stderr

    # and a second export, now by ownership, is the same manifest
    second = run("export", "--stack", "legacy", "--endpoint", emulator.url)
    assert yaml.safe_load(second.stdout) == doc
