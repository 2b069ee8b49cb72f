"""Interruption: an apply killed at any point leaves nothing a re-run cannot converge, and a
polite stop (SIGINT / SIGTERM) stops launching work, lets in-flight calls finish, reports and
exits non-zero."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import time

import pytest

from .check import duplicates, problems
from .cli import assert_clean_exit, popen_cli
from .conftest import World
from .convergence import judge_run
from .manifests import materialize, mixed_stack

SEED = int(os.environ.get("CMQINFRA_RELIABILITY_SEED", "20261122"))
# Per-call latency so an apply lasts long enough to be cut at many different points.
CALL_LATENCY = 0.05
TRIALS = 5
PROGRESS = re.compile(r"^\[\d+/\d+\] (?:queue|topic|subscription)/\S+: ")


def _apply_args(world: World, manifest: object, *extra: str) -> tuple[str, ...]:
    return ("apply", str(manifest), "--endpoint", world.endpoint, "--auto-approve", *extra)


def _kill_after_progress(proc: subprocess.Popen[str], lines: int, jitter: float) -> bool:
    """SIGKILL once the apply has reported ``lines`` completed changes (plus a little jitter, so
    the kill lands while the next calls are in flight). False if it finished first."""
    assert proc.stdout is not None
    seen = 0
    while seen < lines:
        line = proc.stdout.readline()
        if not line:
            return False
        if PROGRESS.match(line):
            seen += 1
    time.sleep(jitter)
    if proc.poll() is not None:
        return False
    os.killpg(proc.pid, signal.SIGKILL)
    return True


def test_sigkill_at_seeded_random_points_then_rerun_converges(world: World) -> None:
    from cmqinfra.emulator import Faults

    rnd = random.Random(SEED)
    versions = mixed_stack("kill", SEED)
    world.make_sentinel(versions.v1, versions.v2)
    slow = Faults(latency=CALL_LATENCY, seed=SEED)
    made = {
        "v1": materialize(versions.v1, world.tmp / "v1"),
        "v2": materialize(versions.v2, world.tmp / "v2"),
    }
    files = {label: path for label, (path, _) in made.items()}
    # v1, v2, v1, v2, ...: every trial starts from whatever the previous one left behind
    mid_way = 0
    for number in range(TRIALS):
        label = ("v1", "v2")[number % 2]
        stack = made[label][1]
        lines, jitter = rnd.randint(0, 10), rnd.uniform(0.0, CALL_LATENCY * 2)
        world.emulator.faults = slow  # slow calls: a kill lands while some are in flight
        proc = popen_cli(*_apply_args(world, files[label]), cwd=world.tmp)
        killed = _kill_after_progress(proc, lines, jitter)
        proc.communicate(timeout=30)
        world.emulator.faults = Faults()
        where = f"trial {number} ({label}, seed {SEED}, kill after {lines} changes + {jitter:.3f}s: {killed})"
        account = world.account()
        assert duplicates(account) == [], where
        mid_way += bool(killed and problems(stack, account))
        rerun = world.apply(files[label])
        assert rerun.code == 0, f"{where}\n{rerun.describe()}"
        judge_run(world, stack, rerun)
    # the draw must really have cut applies part-way, or the test proved nothing
    print(f"{mid_way} of {TRIALS} kills landed mid-apply")
    assert mid_way >= TRIALS // 2, f"only {mid_way} of {TRIALS} kills landed mid-apply"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_polite_signal_stops_reports_and_rerun_converges(world: World, signum: int) -> None:
    from cmqinfra.emulator import Faults

    versions = mixed_stack(f"sig{int(signum)}", SEED)
    world.make_sentinel(versions.v1)
    manifest, desired = materialize(versions.v1, world.tmp / "v1")
    # slow calls and little parallelism: the apply is surely mid-way when the signal lands
    world.emulator.faults = Faults(latency=0.4, seed=SEED)
    proc = popen_cli(*_apply_args(world, manifest, "--parallelism", "2"), cwd=world.tmp)
    assert proc.stdout is not None
    first = ""
    while not PROGRESS.match(first):  # the apply is under way: its first change completed
        first = proc.stdout.readline()
        assert first, "apply ended before any change completed"
    assert proc.poll() is None, "apply finished before it could be interrupted"
    signalled_at = time.monotonic()
    os.killpg(proc.pid, signum)
    stdout, stderr = proc.communicate(timeout=30)
    stopped_after = time.monotonic() - signalled_at
    output = stdout + stderr
    assert proc.returncode != 0, output
    assert "Traceback (most recent call last)" not in output, output
    # in-flight calls (0.4 s each, at most 2) finish; nothing new starts
    assert stopped_after < 3.0, f"took {stopped_after:.1f}s to stop:\n{output}"
    world.emulator.faults = Faults()
    account = world.account()
    assert duplicates(account) == []
    assert problems(desired, account), "the whole stack was applied despite the signal"
    assert "interrupt" in output.lower() or "not" in output.lower(), output

    rerun = world.apply(manifest)
    assert_clean_exit(rerun, allowed=(0,))
    judge_run(world, desired, rerun)
