"""The CI recipes and the pre-commit hook say what the docs promise (no CI system needed)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parent))
from recipes import GITHUB, GITLAB, PRE_COMMIT, cmqinfra_commands  # noqa: E402


def test_pre_commit_hook_runs_validate_on_yaml_files() -> None:
    hooks = yaml.safe_load(PRE_COMMIT.read_text())
    hook = next(h for h in hooks if h["id"] == "cmqinfra-validate")
    assert hook["entry"] == "cmqinfra validate --stacks-of"  # files grouped into their stacks
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    assert files.search("infra/orders.yaml") and files.search("infra/orders.yml")
    assert not files.search("infra/readme.md")
    assert hook["require_serial"] is True


def test_github_plans_once_comments_and_applies_the_saved_plan_on_merge() -> None:
    doc = yaml.safe_load(GITHUB.read_text())
    triggers = doc[True] if True in doc else doc["on"]  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers and "pull_request_target" not in triggers
    assert triggers["push"]["branches"] == ["main"]
    by_job = {c.job: c for c in cmqinfra_commands(GITHUB) if c.args[0] in ("plan", "apply")}
    plan, apply = by_job["plan"], by_job["apply"]
    saved = plan.args[plan.args.index("--out") + 1]
    assert plan.args[plan.args.index("--format") + 1] == "markdown" and plan.stdout_to
    assert apply.args[:3] == ("apply", "--plan", saved)
    plan_steps = doc["jobs"]["plan"]["steps"]
    upload = next(s for s in plan_steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == saved
    assert any(plan.stdout_to in s.get("run", "") and "gh pr comment" in s.get("run", "") for s in plan_steps)
    assert doc["jobs"]["apply"]["environment"] == "production"
    assert "pull-requests" not in doc["permissions"]  # write access only where the comment is posted


def test_gitlab_validates_plans_and_applies_the_saved_artifact() -> None:
    doc = yaml.safe_load(GITLAB.read_text())
    assert doc["stages"] == ["validate", "plan", "apply"]
    assert doc["apply"]["needs"] == ["plan"]
    saved = next(c for c in cmqinfra_commands(GITLAB) if c.job == "plan").args
    assert saved[saved.index("--out") + 1] in doc["plan"]["artifacts"]["paths"]
    apply = next(c for c in cmqinfra_commands(GITLAB) if c.job == "apply")
    assert apply.args == ("apply", "--plan", saved[saved.index("--out") + 1], "--auto-approve")


def test_recipes_talk_about_secrets() -> None:
    for recipe in (GITHUB, GITLAB):
        header = recipe.read_text().split("\n\n")[0]
        assert "Secrets" in header and "READ-ONLY" in header and "fork" in header
