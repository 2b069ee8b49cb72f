"""The CI recipes and the pre-commit hook say what the docs promise (no CI system needed)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from recipes import GITHUB, GITLAB, PRE_COMMIT, cmqinfra_commands  # noqa: E402


def test_pre_commit_hook_runs_validate_on_yaml_files() -> None:
    hooks = yaml.safe_load(PRE_COMMIT.read_text())
    hook = next(h for h in hooks if h["id"] == "cmqinfra-validate")
    assert hook["entry"] == "cmqinfra validate --stacks-of"  # the stacks the files belong to
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
    assert "--changed-since" in plan.args  # every affected stack, one comment
    assert apply.args[:3] == ("apply", "--plan", saved)
    plan_steps = doc["jobs"]["plan"]["steps"]
    upload = next(s for s in plan_steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["with"]["path"] == saved
    assert any(plan.stdout_to in s.get("run", "") and "gh pr comment" in s.get("run", "") for s in plan_steps)
    assert doc["jobs"]["apply"]["environment"] == "production"
    # applies are serialised and never cancelled; a newer push replaces a running plan
    assert doc["jobs"]["apply"]["concurrency"] == {"group": "cmqinfra-apply", "cancel-in-progress": False}
    assert doc["jobs"]["plan"]["concurrency"]["cancel-in-progress"] is True
    checkout = next(s for s in plan_steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # --changed-since needs the base commit
    assert "pull-requests" not in doc["permissions"]  # write access only where the comment is posted


def test_gitlab_validates_plans_and_applies_the_saved_artifact() -> None:
    doc = yaml.safe_load(GITLAB.read_text())
    assert doc["stages"] == ["validate", "plan", "apply"]
    assert doc["apply"]["needs"] == ["plan"]
    saved = next(c for c in cmqinfra_commands(GITLAB) if c.job == "plan").args
    assert saved[saved.index("--out") + 1] in doc["plan"]["artifacts"]["paths"]
    apply = next(c for c in cmqinfra_commands(GITLAB) if c.job == "apply")
    assert apply.args == ("apply", "--plan", saved[saved.index("--out") + 1], "--auto-approve")
    assert doc["apply"]["resource_group"] == "cmqinfra-apply"
    mr_plan = next(c for c in cmqinfra_commands(GITLAB) if c.job == "plan:mr")
    assert mr_plan.args[mr_plan.args.index("--changed-since") + 1] == "$CI_MERGE_REQUEST_DIFF_BASE_SHA"
    assert doc["variables"]["GIT_DEPTH"] == "0"


PINNED = re.compile(r"^(git\+https://\S+@[0-9a-f]{40}|\S+\.whl#sha256=[0-9a-f]{64})$")


@pytest.mark.parametrize("recipe", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_cmqinfra_is_installed_from_a_pinned_source_never_a_bare_name(recipe: Path) -> None:
    text = recipe.read_text()
    installs = [
        line for line in text.splitlines() if "pip install" in line and not line.lstrip().startswith("#")
    ]
    assert installs and all('"$CMQINFRA_PACKAGE"' in line for line in installs), installs
    doc = yaml.safe_load(text)
    package = (doc.get("env") or doc.get("variables"))["CMQINFRA_PACKAGE"]
    assert PINNED.match(package), package


def test_recipes_talk_about_secrets() -> None:
    for recipe in (GITHUB, GITLAB):
        header = recipe.read_text().split("\n\n")[0]
        assert "Secrets" in header and "READ-ONLY" in header and "fork" in header
