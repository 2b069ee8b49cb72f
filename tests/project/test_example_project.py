"""examples/project, the layout docs/gitops.md shows, validates and plans as the docs say."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from helpers import cmq, git, write

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "project"


def test_the_example_project_validates() -> None:
    code, out, err = cmq(EXAMPLE, "validate")
    assert code == 0, err
    assert [line.split(":")[1].strip() for line in out.splitlines()] == [
        "payments[dev]", "payments[prod]", "orders[dev]", "orders[prod]", "audit[prod]"]


def test_the_documented_comment(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    write(repo, {".gitignore": ".cmqinfra/\n*.plan\n"})
    code, _, err = cmq(repo, "apply", "--local", "--auto-approve")
    assert code == 0, err
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    orders = repo / "stacks/orders/orders.yaml"
    orders.write_text(orders.read_text().replace("visibilityTimeout: 60", "visibilityTimeout: 90"))
    prod = repo / "environments/prod.yaml"
    prod.write_text(prod.read_text().replace("visibility: 120", "visibility: 180"))
    code, out, err = cmq(repo, "plan", "--local", "--changed-since", "main", "--format", "markdown")
    assert code == 0, err
    doc = (Path(__file__).resolve().parents[2] / "docs" / "gitops.md").read_text()
    # the commit and the time change with every run: the docs show them as placeholders
    out = re.sub(r"Planned at commit `[0-9a-f]{12}`, [0-9 :-]+ UTC\.",
                 "Planned at commit `0123456789ab`, 2026-12-06 19:00:00 UTC.", out)
    head = out.split("<details>")[0]
    assert head in doc
    section = out.split("<details><summary><code>payments[prod]</code>")[1]
    section = section.split("  # queue/payments-deadletter")[0]
    assert section in doc
    assert "~       visibilityTimeout = 120 -> 180" in out and "~       visibilityTimeout = 60 -> 90" in out


def test_the_project_schema_is_a_valid_schema_and_accepts_the_example() -> None:
    import yaml
    from jsonschema import Draft202012Validator

    from cmqinfra.project.config import project_schema

    Draft202012Validator.check_schema(project_schema())
    example = yaml.safe_load((EXAMPLE / "cmqinfra.yaml").read_text())
    assert list(Draft202012Validator(project_schema()).iter_errors(example)) == []
