"""examples/ci/gitlab-ci.yml run end to end by gitlab-ci-local (shell executor) against an emulator
and a stand-in of the GitLab API on 127.0.0.1 (tests/gitops/standins.py).

cmqinfra is installed by the recipe's own step, from a wheel built from this checkout (a source the
user controls); the recipe's script is copied where the recipe calls it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "project"))
from ci_tools import ROOT, missing, tool  # noqa: E402
from helpers import cmq, git, queues, sdk, write  # noqa: E402
from recipes import GITLAB, SCRIPTS  # noqa: E402
from standins import Running, serve  # noqa: E402

GITLAB_CI_LOCAL = tool("gitlab-ci-local")
pytestmark = pytest.mark.skipif(GITLAB_CI_LOCAL is None, reason=missing("gitlab-ci-local"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("cmqinfra-*.whl"))


IMAGE = "localhost/cmqinfra-ci:dev"  # .ci/build-ci-image.sh builds both
HELPER = "localhost/cmqinfra-ci-helper:dev"
CONTAINERS_CONF = ROOT / ".ci" / "containers.conf"


def _image_present() -> bool:
    if shutil.which("podman") is None:
        return False
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    exists = [subprocess.run(["podman", "image", "exists", name], capture_output=True, env=env)
              for name in (IMAGE, HELPER)]
    return all(done.returncode == 0 for done in exists)


def _pipeline(
    repo: Path, variables: dict[str, str], executor: str = "shell"
) -> subprocess.CompletedProcess[str]:
    args = [str(GITLAB_CI_LOCAL), "--home", str(repo.parent / "glci-home"),
            "--ignore-predefined-vars", ",".join(k for k in variables if k.startswith("CI_"))]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENTCLOUD_", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    if executor == "shell":
        # The shell executor runs every job in the repository itself, not in a build directory of
        # its own as a runner does: two jobs at once (validate beside plan:mr, `needs: []`) would
        # build the one cached virtual environment over each other. One job at a time.
        args += ["--force-shell-executor", "--concurrency", "1"]
    else:
        # the recipe's image under podman: gitlab-ci-local's docker executor with podman behind it
        # (flags this host needs) and a helper image built here (Docker Hub's cannot be pulled)
        wrapper = repo.parent / "podman-wrap"
        wrapper.write_text('#!/bin/sh\nexec podman --runtime runc --cgroup-manager cgroupfs "$@"\n')
        wrapper.chmod(0o755)
        args += ["--container-executable", str(wrapper), "--helper-image", HELPER, "--network", "host"]
        env["CONTAINERS_CONF"] = str(CONTAINERS_CONF)
        variables = {**variables, "CMQINFRA_IMAGE": IMAGE}
    for key, value in variables.items():
        args += ["--variable", f"{key}={value}"]
    done = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=400)
    print("\n".join(line for line in done.stdout.splitlines() if "finished in" in line or "duration" in line))
    return done


MARKER = "<!-- cmqinfra:plan -->"


@pytest.fixture
def gitlab() -> Iterator[Running]:
    with serve("gitlab") as running:
        yield running


def _ran(done: subprocess.CompletedProcess[str], job: str) -> bool:
    return any(line.lstrip().startswith(job + " ") or line.lstrip().startswith(job + "\t")
               for line in done.stdout.splitlines())


@pytest.mark.parametrize("executor", [
    "shell",
    pytest.param("podman", marks=pytest.mark.skipif(
        not _image_present(), reason=f"{IMAGE} is not built: run .ci/build-ci-image.sh as root")),
])
def test_merge_request_drift_then_merge_applies_nothing_unreviewed(
    tmp_path: Path, gitlab: Running, wheel: Path, executor: str
) -> None:
    """A merge request whose first push is refused (the note says why), fixed by a second push (the
    same note, edited); then a change made outside cmqinfra; then the merge: the reviewed plan is
    stale, so nothing is applied, the job says so, and a fresh plan marks the drift and waits for a
    manual approval."""
    emu = Emulator.start(tmp_path / "emulator.sqlite3", rate_limits=False)
    try:
        repo = tmp_path / "repo"
        write(
            repo,
            {
                "cmqinfra.yaml": f"""
                version: 1
                environments:
                  prod: {{region: {emu.region}, endpoint: {emu.url}}}
                stacks:
                  payments: {{path: stacks/payments}}
                  orders: {{path: stacks/orders}}
                """,
                "stacks/payments/payments.yaml": "stack: payments\nqueues:\n  payments: {}\n",
                "stacks/orders/orders.yaml": "stack: orders\nqueues:\n  orders: {}\n",
                ".gitignore": ".cmqinfra-venv/\n.gitlab-ci-local/\n*.plan\n*.md\n*.txt\n*.env\n",
            },
        )
        shutil.copy(GITLAB, repo / ".gitlab-ci.yml")
        (repo / ".cmqinfra-ci").mkdir()
        shutil.copy(SCRIPTS, repo / ".cmqinfra-ci" / "cmqinfra_ci.py")
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "two stacks")
        base = git(repo, "rev-parse", "HEAD").strip()
        code, _, err = cmq(repo, "apply", "--auto-approve")
        assert code == 0, err
        credentials = {
            "TENCENTCLOUD_PLAN_SECRET_ID": DEFAULT_SECRET_ID,
            "TENCENTCLOUD_PLAN_SECRET_KEY": DEFAULT_SECRET_KEY,
            "TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID,
            "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY,
            "CMQINFRA_PACKAGE": str(wheel),
            "PIP_NO_COMPILE": "1",  # the install's bytecode compilation is most of its time here
            "CI_PROJECT_ID": "42",
            "CI_API_V4_URL": gitlab.url,
            "CMQINFRA_NOTE_TOKEN": "note-token",
            "CMQINFRA_READ_TOKEN": "read-token",
        }
        mr_vars = {**credentials, "CI_PIPELINE_SOURCE": "merge_request_event",
                   "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_MERGE_REQUEST_IID": "7",
                   "CI_MERGE_REQUEST_LABELS": ""}

        # first push: orders claims the queue payments owns, so the plan is refused
        git(repo, "checkout", "-qb", "more-payments")
        (repo / "stacks/orders/orders.yaml").write_text(
            "stack: orders\nqueues:\n  orders: {}\n  payments: {}\n")
        git(repo, "commit", "-qam", "orders takes payments")
        refused = _pipeline(repo, mr_vars, executor)
        assert refused.returncode != 0  # the plan job fails ...
        assert _ran(refused, "note:mr")  # ... and the note job runs all the same
        (note,) = gitlab.state.comments[7]
        body = str(note["body"])
        # when the job itself broke (its install, the runner), its log says why
        assert body.startswith(MARKER + "\n## :x: cmqinfra plan for stack `orders[prod]`"), (
            body[:600] + "\n--- pipeline output ---\n" + refused.stdout[-6000:] + refused.stderr[-2000:])
        assert "> - ✗ **refused**: `" in body and "is owned by stack 'payments'" in body
        assert {r.credential for r in gitlab.state.requests} == {"note-token"}

        # second push: the fix; the same note is edited, now a clean plan
        (repo / "stacks/orders/orders.yaml").write_text("stack: orders\nqueues:\n  orders: {}\n")
        (repo / "stacks/payments/payments.yaml").write_text(
            "stack: payments\nqueues:\n  payments: {}\n  refunds: {visibilityTimeout: 60}\n")
        git(repo, "commit", "-qam", "a refunds queue instead")
        head = git(repo, "rev-parse", "HEAD").strip()
        planned = _pipeline(repo, mr_vars, executor)
        assert planned.returncode == 0, planned.stdout[-4000:] + planned.stderr[-2000:]
        (note,) = gitlab.state.comments[7]
        assert "refunds" in str(note["body"]) and "✗" not in str(note["body"]), (
            str(note["body"])[:600] + "\n--- pipeline output ---\n" + planned.stdout[-6000:])
        assert [r.method for r in gitlab.state.requests if "/notes" in r.path].count("PUT") == 1
        assert "refunds" not in queues(emu)  # a merge request changes nothing
        saved = next((repo / ".gitlab-ci-local").rglob("cmqinfra.plan"), None) or repo / "cmqinfra.plan"
        reviewed_plan = saved.read_bytes()

        # GitLab keeps the merge request's pipelines and the plan job's artifact
        gitlab.state.pulls_of_commit[head] = [{"iid": 7, "state": "merged", "sha": head,
                                               "merge_commit_sha": None, "squash_commit_sha": None}]
        gitlab.state.pipelines[7] = [{"id": 501, "sha": head}]
        gitlab.state.jobs[501] = [{"id": 5010, "name": "plan:mr", "status": "success"}]
        gitlab.state.job_files[5010] = reviewed_plan

        # someone changes the payments queue in the console
        sdk(emu).call_json("ModifyCmqQueueAttribute", {"QueueName": "payments", "VisibilityTimeout": 300})

        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--ff-only", "more-payments")
        for leftover in ("cmqinfra.plan", "plan.md", "plan-full.md"):
            (repo / leftover).unlink(missing_ok=True)
        merged = _pipeline(repo, {**credentials, "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BEFORE_SHA": base},
                           executor)
        out = merged.stdout + merged.stderr
        assert merged.returncode != 0, out[-4000:]  # nothing could be applied: the pipeline says so
        assert "the plan reviewed on merge request !7 (last push" in out
        assert "stale" in out and "nothing was changed" in out
        assert _ran(merged, "plan:fresh") and not _ran(merged, "apply:fresh")  # waits for a human
        assert "changed outside cmqinfra" in out  # the fresh plan marks the drift
        live = queues(emu)
        assert "refunds" not in live  # nothing unreviewed (nor the stale reviewed plan) was applied
        assert live["payments"]["QueueDescribe"]["VisibilityTimeout"] == 300  # the drift is not reverted
        assert {r.credential for r in gitlab.state.requests if "/notes" not in r.path
                and r.path != "/api/v4/user"} == {"read-token"}
    finally:
        emu.stop()
