"""Fault matrix: under each emulator fault mode a mixed stack is applied, changed and destroyed
through the real CLI; re-running converges, nothing exists twice, nothing outside the stack
changes, and every exit code tells the truth (checked after every single run)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import pytest

from cmqinfra.model import Stack

from .check import problems
from .cli import assert_clean_exit
from .conftest import World
from .convergence import converge, judge_run
from .manifests import materialize, mixed_stack

SEED = int(os.environ.get("CMQINFRA_RELIABILITY_SEED", "20261122"))


def fault_for(mode: str, seed: int) -> Any:
    from cmqinfra.emulator import Faults

    table: dict[str, Any] = {
        "throttling": Faults(throttle_rate=0.3, seed=seed),
        "internal-error": Faults(internal_error_rate=0.1, seed=seed),
        "http-5xx": Faults(http_5xx_rate=0.1, seed=seed),
        "dropped-connection": Faults(drop_connection_rate=0.1, seed=seed),
        "lost-response": Faults(lost_response_rate=0.15, seed=seed),
        "eventual-consistency": Faults(invisible_seconds=0.6, seed=seed),
        # slower than the client waits (1 s): the topic is created after the client gave up
        "latency-beyond-timeout": Faults(latency=1.3, actions=frozenset({"CreateCmqTopic"}), seed=seed),
    }
    return table[mode]


# the emulator's draw outcome that proves the row's fault really happened
EXPECTED_OUTCOME = {
    "throttling": "throttle",
    "internal-error": "internal_error",
    "http-5xx": "http_5xx",
    "dropped-connection": "drop",
    "lost-response": "lost_response",
}

# How many applies a row may need. Retries (6 attempts with back-off) absorb a 10-15% fault
# rate within one run (a call failing 6 times in a row at 15% is a 1e-5 event); 30% throttling
# can exhaust them now and then (0.3**6 per call), eventual consistency may hide a fresh
# dependency for a moment, and every topic create outliving the client's timeout must fail once.
MAX_RUNS = {"throttling": 2, "eventual-consistency": 2, "latency-beyond-timeout": 2}

MODES = (
    "throttling",
    "internal-error",
    "http-5xx",
    "dropped-connection",
    "lost-response",
    "eventual-consistency",
    "latency-beyond-timeout",
)


@pytest.mark.parametrize("mode", MODES)
def test_apply_update_destroy_converge_under_faults(world: World, mode: str) -> None:
    seed = SEED + MODES.index(mode)
    versions = mixed_stack(f"fm{MODES.index(mode)}", seed)
    world.make_sentinel(versions.v1, versions.v2)
    faults = fault_for(mode, seed)
    if mode == "eventual-consistency":
        world.settle_seconds = faults.invisible_seconds
    if mode == "latency-beyond-timeout":
        # 1 s (the SDK's minimum): a call slower than the client waits costs seconds, not minutes
        world.call_timeout = 1
    world.emulator.faults = faults

    v1, desired1 = materialize(versions.v1, world.tmp / "v1")
    runs = MAX_RUNS.get(mode, 1)
    outcome = converge(world, desired1, v1, attempts=runs)
    print(f"{mode}: v1 exit codes {outcome.codes}")
    _plan_shows_no_changes(world, desired1, v1)
    if mode == "latency-beyond-timeout":
        # every topic create outlives the client's patience: the first run must fail (truthfully)
        # and a later one converge without creating anything twice. Each timed-out run costs
        # ~10 s of retries, so this row stops after the first version.
        assert outcome.codes[0] == 1 and outcome.codes[-1] == 0, outcome.codes
        return

    v2, desired2 = materialize(versions.v2, world.tmp / "v2")
    print(f"{mode}: v2 exit codes {converge(world, desired2, v2, attempts=runs).codes}")
    _plan_shows_no_changes(world, desired2, v2)

    expected = EXPECTED_OUTCOME.get(mode)
    if expected is not None:
        assert world.fired[expected] > 0, f"the {mode} fault never fired: {dict(world.fired)}"

    empty = Stack(name=versions.v2.name)
    for _ in range(runs):
        run = world.cli("destroy", str(v2), "--endpoint", world.endpoint, "--auto-approve")
        judge_run(world, empty, run)
        if run.code == 0:
            break
    else:
        raise AssertionError(f"destroy did not converge under {mode}")
    assert problems(replace(empty), world.account()) == []


def _plan_shows_no_changes(world: World, stack: Stack, manifest: object) -> None:
    """Right after a converged apply a plan must agree; a faulty plan may fail, never lie."""
    for _ in range(3):
        run = world.plan(str(manifest), "--detailed-exitcode")  # type: ignore[arg-type]
        assert_clean_exit(run, allowed=(0, 1))
        if run.code == 0:
            return
    raise AssertionError(f"plan kept failing after convergence:\n{run.describe()}")
