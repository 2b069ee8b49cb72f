"""API calls that follow the change, counted on the emulator through the real CLI: one queue of a
10,000-queue stack with --target, and a project of many stacks planned at once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from benchmarks.scale import project_workloads, write_project
from benchmarks.seed import seed
from benchmarks.workload import Workload, write_manifests
from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    return subprocess.run(
        [sys.executable, "-m", "cmqinfra", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def calls_of(stderr: str) -> dict[str, int]:
    """The --debug call counts: ``  Action: N`` lines after ``API calls per action``."""
    block = stderr.split("API calls per action", 1)[1]
    return {m[1]: int(m[2]) for m in re.finditer(r"^  (\w+): (\d+)$", block, re.M) if m[1] != "total"}


def test_one_queue_of_a_10000_queue_stack_is_planned_with_at_most_3_calls(tmp_path: Path) -> None:
    emulator = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=False)
    try:
        # the account holds the stack's first 100 queues (work00000 with its dead letter among them)
        seed(Workload.of_size(100), emulator.endpoint, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, emulator.region)
        stack = write_manifests(Workload.of_size(10_000), tmp_path / "stack")
        done = cli("plan", str(stack), "--endpoint", emulator.url, "--target", "queue/work00000", "--debug")
    finally:
        emulator.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    calls = calls_of(done.stderr)
    assert sum(calls.values()) <= 3, calls
    assert calls == {"DescribeCmqQueues": 1}  # the queue and its dead letter in one name list
    assert "No changes" in done.stdout


def test_a_project_of_20_stacks_makes_each_stacks_listing_calls_once(tmp_path: Path) -> None:
    """20 stacks of 20/2/20: per stack one queue page, one topic page and one subscription listing
    per topic (2), so 20 x 4 = 80 listing calls for the whole set, and nothing to change. The
    plans also count the account's untagged queues and topics (two one-item listings per kind):
    the same account for every stack, so asked once, not once per stack."""
    emulator = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=False)
    try:

        class Sizes:
            project_stacks, project_stack_size = 20, 20

        workloads = project_workloads(Sizes)  # type: ignore[arg-type]
        root = write_project(workloads, tmp_path / "project")
        for workload in workloads:
            seed(workload, emulator.endpoint, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, emulator.region)
        emulator.reset_call_counts()
        done = cli(
            "plan", "--project", str(root), "--endpoint", emulator.url, "--debug", "--detailed-exitcode"
        )
        received = emulator.call_counts()
    finally:
        emulator.stop()
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    untagged_count = 2  # once for the one target
    expected = {
        "DescribeCmqQueues": 20 + untagged_count,
        "DescribeCmqTopics": 20 + untagged_count,
        "DescribeCmqSubscriptionDetail": 40,
    }
    assert calls_of(done.stderr) == expected
    assert received == expected  # what the service was sent, not only what the client counted
