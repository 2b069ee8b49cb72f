"""validate: a PATH is a project of one unit, checked and drawn by the same renderer as a
project's units (cmqinfra/run/unit_validate.py). The same manifest, once as a bare PATH and once
as a project's only stack, gives the same problems, the same counts and the same json document
for its unit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from helpers import cmq, write  # noqa: E402

MANIFEST = """\
stack: orders
queues:
  orders: {visibilityTimeout: 60}
  audit: {pollingWaitSeconds: 99}
topics:
  events: {}
"""
VALID = "stack: orders\nqueues:\n  orders: {}\ntopics:\n  events: {}\n"


def _repo(tmp_path: Path, manifest: str) -> tuple[Path, Path]:
    write(tmp_path, {
        "project/cmqinfra.yaml": "version: 1\nenvironments:\n  dev: {region: ap-guangzhou}\n"
                                 "stacks:\n  orders: {path: stacks/orders}\n",
        "project/stacks/orders/orders.yaml": manifest,
        "alone/orders.yaml": manifest,
    })
    return tmp_path / "project", tmp_path / "alone"


def _problems(document: dict[str, object]) -> list[tuple[object, ...]]:
    return [(d["severity"], d["summary"], d["range"]["start"]["line"], d["range"]["start"]["column"])
            for d in document["diagnostics"]]  # type: ignore[index,union-attr]


def test_a_paths_unit_and_a_projects_unit_report_the_same_problems(tmp_path: Path) -> None:
    project, alone = _repo(tmp_path, MANIFEST)
    code_one, out_one, _ = cmq(alone, "validate", "orders.yaml", "--format", "json")
    code_many, out_many, _ = cmq(project, "validate", "--format", "json")
    assert (code_one, code_many) == (1, 1)
    one, many = json.loads(out_one), json.loads(out_many)
    (unit,) = many["units"]
    assert many["valid"] is False and unit["environment"] == "dev"
    assert one["stack"] == unit["stack"] == "orders"
    assert one["valid"] is unit["valid"] is False
    assert one["error_count"] == unit["error_count"] == 1
    assert _problems(one) == _problems(unit) and "pollingWaitSeconds" in str(_problems(one))


def test_the_text_of_a_paths_unit_is_the_projects_without_the_environment(tmp_path: Path) -> None:
    project, alone = _repo(tmp_path, VALID)
    code_one, out_one, err_one = cmq(alone, "validate", "orders.yaml")
    code_many, out_many, err_many = cmq(project, "validate")
    assert (code_one, code_many) == (0, 0)
    assert out_one == "ok: orders: 1 queue, 1 topic, 0 subscriptions\n"
    assert out_many == "ok: orders[dev]: 1 queue, 1 topic, 0 subscriptions\n"
    code_one, out_one, err_one = cmq(alone, "validate", "orders.yaml", "--format", "markdown")
    assert out_one.startswith("### :white_check_mark: cmqinfra validate: orders: 1 queue, 1 topic")


def test_an_invalid_paths_unit_prints_its_problems_once_and_no_ok_line(tmp_path: Path) -> None:
    _, alone = _repo(tmp_path, MANIFEST)
    code, out, err = cmq(alone, "validate", "orders.yaml")
    assert code == 1 and out == ""
    problems = [line for line in err.splitlines() if "pollingWaitSeconds" in line]
    assert len(problems) == 1 and problems[0].startswith("orders.yaml:4:")
    code, out, _ = cmq(alone, "validate", "orders.yaml", "--format", "markdown")
    assert code == 1 and out.startswith("### :x: cmqinfra validate failed")
    assert "1 error in the manifest" in out
