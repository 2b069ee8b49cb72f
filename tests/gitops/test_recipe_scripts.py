"""The recipes' own script (examples/ci/scripts/cmqinfra_ci.py), run as the recipes run it, against
stand-ins of the GitHub and GitLab APIs on 127.0.0.1 and a real git repository: the plan comment is
found by its marker and edited in place; the merge fetches the plan of the pull request's LAST push,
found from the merged commit, or nothing; the drift issue opens, updates and closes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "project"))
from helpers import git  # noqa: E402
from recipes import SCRIPTS  # noqa: E402
from standins import Running, serve, zipped  # noqa: E402

MARKER = "<!-- cmqinfra:plan -->"
TOKEN = "ghs_secret-token-value"


def script(cwd: Path, api: Running, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI_", "CMQINFRA_"))}
    base.update({"GITHUB_API_URL": api.url, "CI_API_V4_URL": api.url, "GITHUB_REPOSITORY": "acme/infra",
                 "GITHUB_TOKEN": TOKEN, "CI_PROJECT_ID": "42", "GITHUB_OUTPUT": str(cwd / "out.txt"), **env})
    return subprocess.run([sys.executable, str(SCRIPTS), *args], cwd=cwd, env=base, capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def github() -> Running:
    with serve("github") as running:
        yield running  # type: ignore[misc]


@pytest.fixture
def gitlab() -> Running:
    with serve("gitlab") as running:
        yield running  # type: ignore[misc]


def test_github_comment_is_found_by_its_marker_and_edited_in_place(tmp_path: Path, github: Running) -> None:
    # 150 comments first (paging), one of them a user's that quotes the marker: never edited
    others = [{"id": i, "body": "looks good", "user": {"login": "alice"}} for i in range(1, 150)]
    others.append({"id": 150, "body": f"{MARKER}\nfake plan", "user": {"login": "mallory"}})
    github.state.comments[7] = others
    (tmp_path / "plan.md").write_text("## cmqinfra plan: first push\n")
    done = script(tmp_path, github, "github-comment", "plan.md", PR_NUMBER="7")
    assert done.returncode == 0, done.stderr
    ours = [c for c in github.state.comments[7] if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1 and ours[0]["body"].startswith(f"{MARKER}\n## cmqinfra plan: first push")
    (tmp_path / "plan.md").write_text("## :x: cmqinfra plan: refused\n")
    done = script(tmp_path, github, "github-comment", "plan.md", PR_NUMBER="7")
    assert done.returncode == 0, done.stderr
    ours = [c for c in github.state.comments[7] if c["user"]["login"] == "github-actions[bot]"]
    assert len(ours) == 1 and "refused" in ours[0]["body"] and "first push" not in ours[0]["body"]
    assert github.state.comments[7][149]["body"] == f"{MARKER}\nfake plan"
    assert [r.method for r in github.state.requests].count("PATCH") == 1
    assert {r.credential for r in github.state.requests} == {f"Bearer {TOKEN}"}
    # a plan that never ran still gets a comment saying so
    (tmp_path / "plan.md").unlink()
    done = script(tmp_path, github, "github-comment", "plan.md", PR_NUMBER="7")
    assert done.returncode == 0 and "did not run to the end" in ours[0]["body"]


def repository(root: Path) -> dict[str, str]:
    """main M0; pull request 7 pushed twice (H1, H2), merged fast-forward (M == H2); another branch
    of the same name on a fork (F)."""
    root.mkdir()
    git(root, "init", "-q")
    (root / "a.yaml").write_text("stack: a\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "m0")
    m0 = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-qb", "feature")
    (root / "a.yaml").write_text("stack: a\nqueues: {q: {}}\n")
    git(root, "commit", "-qam", "h1")
    h1 = git(root, "rev-parse", "HEAD").strip()
    (root / "a.yaml").write_text("stack: a\nqueues: {q: {}, r: {}}\n")
    git(root, "commit", "-qam", "h2")
    h2 = git(root, "rev-parse", "HEAD").strip()
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--ff-only", "feature")
    return {"m0": m0, "h1": h1, "h2": h2, "f": "f" * 40}


def plan_run(github: Running, run_id: int, pr: int, head: str, plan: bytes | None,
             branch: str = "feature", name: str = "cmqinfra") -> None:
    github.state.runs.append({"id": run_id, "name": name, "event": "pull_request", "head_sha": head,
                              "head_branch": branch, "status": "completed",
                              "conclusion": "success" if plan else "failure"})
    downloads = f"{github.url}/repos/acme/infra/actions/artifacts"
    artifacts = [{"id": run_id * 10, "name": "cmqinfra-plan-md", "expired": False,
                  "archive_download_url": f"{downloads}/{run_id * 10}/zip"}]
    github.state.blobs[run_id * 10] = zipped("plan.md", b"comment")
    if plan is not None:
        artifacts.append({"id": run_id * 10 + 1, "name": f"cmqinfra-plan-{pr}-{head}", "expired": False,
                          "archive_download_url":
                          f"{github.url}/repos/acme/infra/actions/artifacts/{run_id * 10 + 1}/zip"})
        github.state.blobs[run_id * 10 + 1] = zipped("cmqinfra.plan", plan)
    github.state.artifacts[run_id] = artifacts


def merged_pr(github: Running, merged: str, head: str, number: int = 7) -> None:
    github.state.pulls_of_commit[merged] = [
        {"number": 3, "merged_at": None, "merge_commit_sha": "0" * 40, "head": {"sha": "e" * 40}},
        {"number": number, "merged_at": "2026-12-06T19:00:00Z", "merge_commit_sha": merged,
         "head": {"sha": head}},
    ]


def test_github_merge_fetches_the_plan_of_the_last_push_found_from_the_merged_commit(
    tmp_path: Path, github: Running
) -> None:
    shas = repository(tmp_path / "repo")
    merged_pr(github, shas["h2"], shas["h2"])
    plan_run(github, 100, 7, shas["h1"], b"plan of the first push")
    plan_run(github, 101, 7, shas["h2"], b"plan of the last push")
    plan_run(github, 102, 7, shas["h2"], b"plan of the last push, data loss approved (label)")
    # a run of another pull request from a branch of the same name, newer: never taken
    plan_run(github, 103, 9, shas["f"], b"someone else's plan")
    done = script(tmp_path / "repo", github, "github-fetch-plan", "cmqinfra.plan", GITHUB_SHA=shas["h2"])
    assert done.returncode == 0, done.stderr
    fetched = (tmp_path / "repo" / "cmqinfra.plan").read_bytes()
    assert fetched == b"plan of the last push, data loss approved (label)"
    assert "pr=7\n" in (tmp_path / "repo" / "out.txt").read_text()
    # the token went to the API only, never to the storage host the download redirected to
    assert any(r.path == "/blob/1021" for r in github.blob_state.requests)
    assert {r.credential for r in github.blob_state.requests} == {None}
    assert [r for r in github.state.requests if "actions/runs?" in r.path][0].path.endswith(
        f"event=pull_request&head_sha={shas['h2']}&per_page=100")


def test_github_merge_applies_nothing_when_the_newest_plan_of_the_last_push_was_refused(
    tmp_path: Path, github: Running
) -> None:
    shas = repository(tmp_path / "repo")
    merged_pr(github, shas["h2"], shas["h2"])
    plan_run(github, 101, 7, shas["h2"], b"an older plan of the last push")
    plan_run(github, 102, 7, shas["h2"], None)  # the label was removed: the re-plan was refused
    done = script(tmp_path / "repo", github, "github-fetch-plan", "cmqinfra.plan", GITHUB_SHA=shas["h2"])
    assert done.returncode == 3, done.stderr
    assert "was refused or failed" in done.stderr and "nothing is applied" in done.stderr
    assert not (tmp_path / "repo" / "cmqinfra.plan").exists()


def test_github_merge_applies_nothing_for_a_commit_no_pull_request_made(
    tmp_path: Path, github: Running
) -> None:
    shas = repository(tmp_path / "repo")
    plan_run(github, 101, 7, shas["h2"], b"plan")
    done = script(tmp_path / "repo", github, "github-fetch-plan", "cmqinfra.plan", GITHUB_SHA=shas["h2"])
    assert done.returncode == 3 and "not made by merging a pull request" in done.stderr


def test_github_merge_applies_nothing_when_the_merged_files_are_not_the_reviewed_ones(
    tmp_path: Path, github: Running
) -> None:
    repo = tmp_path / "repo"
    shas = repository(repo)
    # another change landed on main first; the pull request was merged without being brought up to date
    git(repo, "reset", "-q", "--hard", shas["m0"])
    (repo / "b.yaml").write_text("stack: b\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "other")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge 7", "feature")
    merge = git(repo, "rev-parse", "HEAD").strip()
    merged_pr(github, merge, shas["h2"])
    plan_run(github, 101, 7, shas["h2"], b"plan")
    done = script(repo, github, "github-fetch-plan", "cmqinfra.plan", GITHUB_SHA=merge)
    assert done.returncode == 3
    assert "differs from the reviewed head" in done.stderr and "stale" in done.stderr


def test_github_drift_issue_opens_updates_and_closes_one_issue(tmp_path: Path, github: Running) -> None:
    (tmp_path / "drift.md").write_text("queue/a visibilityTimeout **changed outside cmqinfra**\n")
    assert script(tmp_path, github, "github-drift-issue", "2", "drift.md").returncode == 0
    assert script(tmp_path, github, "github-drift-issue", "2", "drift.md").returncode == 0
    (issue,) = github.state.issues
    assert issue["state"] == "open" and issue["labels"] == ["cmqinfra-drift"]
    assert issue["body"].startswith("<!-- cmqinfra:drift -->\n") and "changed outside" in issue["body"]
    failed = script(tmp_path, github, "github-drift-issue", "1", "drift.md")
    assert failed.returncode == 1 and issue["state"] == "open"
    assert script(tmp_path, github, "github-drift-issue", "0", "drift.md").returncode == 0
    assert issue["state"] == "closed" and len(github.state.issues) == 1


def test_gitlab_note_and_fetch_by_merged_commit(tmp_path: Path, gitlab: Running) -> None:
    shas = repository(tmp_path / "repo")
    repo = tmp_path / "repo"
    (repo / "plan.md").write_text("## cmqinfra plan\n")
    gitlab.state.comments[5] = [{"id": 1, "body": f"{MARKER}\nquoted by a user", "author": {"id": 3}}]
    for _ in range(2):
        done = script(repo, gitlab, "gitlab-note", "plan.md", CI_MERGE_REQUEST_IID="5",
                      CMQINFRA_NOTE_TOKEN="n")
        assert done.returncode == 0, done.stderr
    assert len(gitlab.state.comments[5]) == 2 and gitlab.state.comments[5][0]["body"].endswith("by a user")
    # the merge: merge request 5 made the merged commit; its last push had two pipelines
    gitlab.state.pulls_of_commit[shas["h2"]] = [
        {"iid": 5, "state": "merged", "sha": shas["h2"], "merge_commit_sha": None, "squash_commit_sha": None}]
    gitlab.state.pipelines[5] = [{"id": 30, "sha": shas["h1"]}, {"id": 31, "sha": shas["h2"]},
                                 {"id": 32, "sha": shas["h2"]}]
    gitlab.state.jobs = {31: [{"id": 310, "name": "plan:mr", "status": "success"}],
                         32: [{"id": 320, "name": "plan:mr", "status": "success"}],
                         30: [{"id": 300, "name": "plan:mr", "status": "success"}]}
    gitlab.state.job_files = {300: b"h1", 310: b"h2 first", 320: b"h2 newest"}
    env = {"CI_COMMIT_SHA": shas["h2"], "CMQINFRA_READ_TOKEN": "r"}
    done = script(repo, gitlab, "gitlab-fetch-plan", "cmqinfra.plan", **env)
    assert done.returncode == 0, done.stderr
    assert (repo / "cmqinfra.plan").read_bytes() == b"h2 newest"
    assert {r.credential for r in gitlab.state.requests if "artifacts" in r.path} == {"r"}
    gitlab.state.jobs[32] = [{"id": 320, "name": "plan:mr", "status": "failed"}]
    (repo / "cmqinfra.plan").unlink()
    done = script(repo, gitlab, "gitlab-fetch-plan", "cmqinfra.plan", **env)
    assert done.returncode == 3 and "is failed, not a plan that can be applied" in done.stderr
    assert not (repo / "cmqinfra.plan").exists()
