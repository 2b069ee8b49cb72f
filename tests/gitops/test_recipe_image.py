"""The GitLab recipe's job scripts in the recipe's image (examples/ci/Containerfile), under podman.

gitlab-ci-local's docker executor needs its helper image from Docker Hub, which cannot be reached
here; so the jobs' own `before_script` and `script` lines, read from the recipe, run in a container
of the image that .ci/build-ci-image.sh builds without a registry (debootstrap base + the
Containerfile), with --network=host to reach the emulator and the GitLab stand-in on 127.0.0.1.
What this proves: the image has everything the jobs run (python, git, cmqinfra); the MR plan job's
--changed-since works in it and its note is posted by the note job.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "project"))
from ci_tools import ROOT  # noqa: E402
from helpers import cmq, git, write  # noqa: E402
from recipes import GITLAB, SCRIPTS  # noqa: E402
from standins import Running, serve  # noqa: E402

IMAGE = "localhost/cmqinfra-ci:dev"
PODMAN = ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]


def _image_present() -> bool:
    if shutil.which("podman") is None:
        return False
    done = subprocess.run([*PODMAN, "image", "exists", IMAGE], capture_output=True,
                          env={**os.environ, "CONTAINERS_CONF": str(ROOT / ".ci" / "containers.conf")})
    return done.returncode == 0


pytestmark = pytest.mark.skipif(not _image_present(),
                                reason=f"{IMAGE} is not built: run .ci/build-ci-image.sh as root")


def job_script(name: str) -> str:
    doc = yaml.safe_load(GITLAB.read_text())
    job = doc[name]
    before = job.get("before_script", doc["default"]["before_script"])
    return "set -e\n" + "\n".join([*before, *job["script"]])


def in_image(repo: Path, script: str, variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [*PODMAN, "run", "--rm", "--network=host", "-v", f"{repo}:/builds/repo", "-w", "/builds/repo"]
    for key, value in variables.items():
        args += ["-e", f"{key}={value}"]
    args += [IMAGE, "sh", "-c", script]
    env = {**os.environ, "CONTAINERS_CONF": str(ROOT / ".ci" / "containers.conf")}
    return subprocess.run(args, capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture
def gitlab() -> Iterator[Running]:
    with serve("gitlab") as running:
        yield running


def test_the_merge_request_jobs_run_in_the_recipe_image(tmp_path: Path, gitlab: Running) -> None:
    emu = Emulator.start(tmp_path / "emulator.sqlite3", rate_limits=False)
    try:
        repo = tmp_path / "repo"
        write(repo, {
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
        })
        (repo / ".cmqinfra-ci").mkdir()
        shutil.copy(SCRIPTS, repo / ".cmqinfra-ci" / "cmqinfra_ci.py")
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "base")
        base = git(repo, "rev-parse", "HEAD").strip()
        assert cmq(repo, "apply", "--auto-approve")[0] == 0
        payments = repo / "stacks/payments/payments.yaml"
        payments.write_text("stack: payments\nqueues:\n  payments: {}\n  r: {}\n")
        git(repo, "commit", "-qam", "r")
        variables = {
            "TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID, "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY,
            "CI_MERGE_REQUEST_DIFF_BASE_SHA": base, "CI_MERGE_REQUEST_LABELS": "",
            "CI_JOB_URL": "http://ci/job/1",
            "CI_API_V4_URL": gitlab.url, "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "3",
            "CMQINFRA_NOTE_TOKEN": "note-token", "CMQINFRA_CI": ".cmqinfra-ci/cmqinfra_ci.py",
            "CMQINFRA_PACKAGE": "unused: the image has cmqinfra",
        }
        planned = in_image(repo, "git config --global --add safe.directory '*'\n" + job_script("plan:mr"),
                           variables)
        assert planned.returncode == 0, planned.stdout + planned.stderr
        assert (repo / "cmqinfra.plan").is_file()
        assert "payments[prod]" in (repo / "plan.md").read_text()
        noted = in_image(repo, job_script("note:mr"), variables)
        assert noted.returncode == 0, noted.stdout + noted.stderr
        (note,) = gitlab.state.comments[3]
        assert "`payments[prod]`" in str(note["body"]) and "orders[prod]" not in str(note["body"])
    finally:
        emu.stop()
