"""The CI recipes and the pre-commit hook say what the docs promise (no CI system needed)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from recipes import DRIFT, GITHUB, GITLAB, PRE_COMMIT, cmqinfra_commands  # noqa: E402


def test_pre_commit_hook_runs_validate_on_yaml_files() -> None:
    hooks = yaml.safe_load(PRE_COMMIT.read_text())
    hook = next(h for h in hooks if h["id"] == "cmqinfra-validate")
    assert hook["entry"] == "cmqinfra validate --stacks-of"  # the stacks the files belong to
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    assert files.search("infra/orders.yaml") and files.search("infra/orders.yml")
    assert not files.search("infra/readme.md")
    assert hook["require_serial"] is True


def test_github_plans_once_comments_always_and_applies_only_the_reviewed_plan() -> None:
    doc = yaml.safe_load(GITHUB.read_text())
    triggers = doc[True] if True in doc else doc["on"]  # YAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers and "pull_request_target" not in triggers
    assert {"labeled", "unlabeled", "synchronize"} <= set(triggers["pull_request"]["types"])
    assert triggers["push"]["branches"] == ["main"]
    jobs = doc["jobs"]
    plan = next(c for c in cmqinfra_commands(GITHUB) if c.job == "plan" and c.args[0] == "plan")
    saved = plan.args[plan.args.index("--out") + 1]
    assert plan.args[plan.args.index("--format") + 1] == "markdown" and plan.stdout_to == "plan.md"
    assert plan.args[plan.args.index("--full-plan") + 1] == "plan-full.md"
    assert "--changed-since" in plan.args  # every affected stack, one comment
    steps = jobs["plan"]["steps"]
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0  # --changed-since needs the base commit
    assert checkout["with"]["ref"] == "${{ github.event.pull_request.head.sha }}"  # the reviewed commit
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    comment_md, plan_file = uploads
    assert comment_md["if"] == "always()" and "plan.md" in comment_md["with"]["path"]
    # the saved plan only when it can be applied, named by pull request AND head commit
    assert plan_file["if"] == "success()" and plan_file["with"]["path"] == saved
    assert plan_file["with"]["name"] == ("cmqinfra-plan-${{ github.event.pull_request.number }}-"
                                         "${{ github.event.pull_request.head.sha }}")
    # the comment: its own job, always, the only one that may write to pull requests
    assert jobs["comment"]["if"].startswith("always()") and jobs["comment"]["needs"] == "plan"
    assert "github-comment" in jobs["comment"]["steps"][-1]["run"]
    writers = [name for name, job in jobs.items() if "write" in (job.get("permissions") or {}).values()]
    assert writers == ["comment"]
    assert jobs["plan"]["permissions"] == {"contents": "read"}
    assert doc["permissions"] == {"contents": "read"}
    assert jobs["apply"]["permissions"] == {"contents": "read", "pull-requests": "read", "actions": "read"}
    apply_steps = [s.get("run", "") for s in jobs["apply"]["steps"]]
    fetch = next(i for i, r in enumerate(apply_steps) if "github-fetch-plan" in r)
    applies = next(i for i, r in enumerate(apply_steps) if "cmqinfra apply --plan cmqinfra.plan" in r)
    assert fetch < applies
    assert jobs["apply"]["environment"] == "production"
    assert jobs["apply"]["concurrency"] == {"group": "cmqinfra-apply", "cancel-in-progress": False}
    assert jobs["plan"]["concurrency"]["cancel-in-progress"] is True
    # nothing applied: a fresh plan behind an approval (an environment with required reviewers)
    assert jobs["replan"]["if"].startswith("failure()") and jobs["replan"]["needs"] == "apply"
    assert jobs["apply-fresh"]["environment"] == "production-approval"
    assert "secrets.TENCENTCLOUD_SECRET_ID" not in str(jobs["replan"])  # the fresh plan uses the read key
    # a data-loss approval is a label, and it re-plans
    assert "cmqinfra:allow-data-loss" in str(steps)


def test_github_drift_check_opens_and_closes_one_issue() -> None:
    doc = yaml.safe_load(DRIFT.read_text())
    triggers = doc[True] if True in doc else doc["on"]
    assert "schedule" in triggers
    job = doc["jobs"]["drift"]
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    run = job["steps"][-1]["run"]
    assert "--detailed-exitcode --baseline HEAD" in run and 'github-drift-issue "$status"' in run
    assert "PLAN_SECRET" in str(job["steps"][-1]["env"])


def test_gitlab_applies_only_the_reviewed_plan_and_posts_refusals() -> None:
    doc = yaml.safe_load(GITLAB.read_text())
    assert doc["stages"] == ["validate", "plan", "apply", "replan", "approve"]
    mr_plan = next(c for c in cmqinfra_commands(GITLAB) if c.job == "plan:mr")
    assert mr_plan.args[mr_plan.args.index("--changed-since") + 1] == "$CI_MERGE_REQUEST_DIFF_BASE_SHA"
    saved = mr_plan.args[mr_plan.args.index("--out") + 1]
    assert doc["plan:mr"]["artifacts"]["when"] == "always"
    assert {saved, "plan.md", "plan-full.md"} <= set(doc["plan:mr"]["artifacts"]["paths"])
    assert doc["note:mr"]["when"] == "always" and "gitlab-note" in str(doc["note:mr"]["script"])
    assert "TENCENTCLOUD" not in str(doc["note:mr"])  # the note job holds no cloud key
    # apply: the reviewed plan, fetched by the merged commit; only on pushes (never on a schedule)
    apply = doc["apply"]
    on_push = '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"'
    assert apply["rules"] == [{"if": on_push}]
    assert apply["script"][0] == 'python3 "$CMQINFRA_CI" gitlab-fetch-plan cmqinfra.plan'
    (applied,) = [c for c in cmqinfra_commands(GITLAB) if c.job == "apply"]
    assert applied.args == ("apply", "--plan", saved, "--auto-approve")
    assert apply["resource_group"] == "cmqinfra-apply" and apply["environment"] == "production"
    assert "TENCENTCLOUD_SECRET_ID" not in str(apply.get("variables", {}))  # the protected write key
    # nothing applied: a fresh plan, then a manual approval
    assert doc["plan:fresh"]["rules"][0]["when"] == "on_failure"
    assert doc["apply:fresh"]["rules"][0]["when"] == "manual"
    assert doc["apply:fresh"]["needs"] == [{"job": "plan:fresh", "artifacts": True}]
    # the drift check runs on a schedule only
    assert doc["drift"]["rules"][0]["if"].startswith('$CI_PIPELINE_SOURCE == "schedule"')
    assert "--detailed-exitcode --baseline HEAD" in doc["drift"]["script"][0]
    assert doc["variables"]["GIT_DEPTH"] == "0"
    assert doc["variables"]["CMQINFRA_IMAGE"] == "python:3.11-bookworm"  # python and git


def test_the_recipes_name_the_cam_policy_command_and_not_a_guess() -> None:
    for recipe in (GITHUB, GITLAB, DRIFT):
        text = recipe.read_text()
        assert "cmqinfra cam-policy" in text
        assert "tag:GetResources" not in text


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


@pytest.mark.parametrize(("labels", "approved"), [
    ("", False), ("backend,cmqinfra:allow-data-loss", True), ("cmqinfra:allow-data-loss", True),
    ("cmqinfra:allow-data-loss-later,x", False),
])
def test_gitlab_data_loss_label_adds_the_flag_and_nothing_else_does(
    labels: str, approved: bool, tmp_path: Path
) -> None:
    import subprocess

    doc = yaml.safe_load(GITLAB.read_text())
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "cmqinfra").write_text('#!/bin/sh\necho "$@" > "$ARGS_FILE"\n')
    (fake / "cmqinfra").chmod(0o755)
    env = {"PATH": f"{fake}:/usr/bin:/bin", "ARGS_FILE": str(tmp_path / "args"), "CI_JOB_URL": "x",
           "CI_MERGE_REQUEST_LABELS": labels, "CI_MERGE_REQUEST_DIFF_BASE_SHA": "abc"}
    done = subprocess.run(["sh", "-ec", "\n".join(doc["plan:mr"]["script"])], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    args = (tmp_path / "args").read_text().split()
    assert ("--allow-data-loss" in args) is approved
    assert args[:3] == ["plan", "--changed-since", "abc"]
