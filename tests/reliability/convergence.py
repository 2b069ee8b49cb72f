"""Drive a stack to convergence under faults, checking the truth of every run on the way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cmqinfra.model import Stack

from .check import changed_outside, duplicates, problems
from .cli import ADDRESS, Run, assert_clean_exit
from .conftest import World


@dataclass(frozen=True)
class Outcome:
    runs: tuple[Run, ...]

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(r.code for r in self.runs)


def judge_run(world: World, stack: Stack, run: Run) -> list[str]:
    """Invariants after any run, successful or not, and the truth of its exit code.

    Returns the remaining differences from the manifest (empty when converged)."""
    assert_clean_exit(run)
    account = world.account()
    assert duplicates(account) == [], run.describe()
    if world.sentinel is not None:
        from .check import outside

        assert changed_outside(world.sentinel, outside(account, stack)) == [], run.describe()
    remaining = problems(stack, account)
    if run.code == 0:
        # exit 0 is a promise that the live state now is the manifest
        assert remaining == [], f"exit 0 but not converged: {remaining}\n{run.describe()}"
    else:
        # a failed run must say so, naming what it could not do; never a bare failure
        assert ADDRESS.search(run.output) or "error" in run.output.lower(), run.describe()
        # and whatever it reports as done must really be done
        wanted = {r.address for r in (*stack.queues, *stack.topics, *stack.subscriptions)}
        for address, phase in reported_done(run.output):
            if phase == "delete" and address in wanted:
                continue  # the first half of a replace: the create may not have run
            wrong = [p for p in remaining if p.startswith(f"{address}:")]
            assert wrong == [], f"reported done but is not: {wrong}\n{run.describe()}"
        # Transient faults may exhaust the retries; they must never surface as a refusal about
        # the stack's own resources (a retried create that was already committed, a retried
        # delete of something already gone): that is a broken idempotency check, not bad luck.
        refusals = [line for line in run.output.splitlines() if SELF_INFLICTED.search(line)]
        assert refusals == [], f"a transient fault became a refusal: {refusals}\n{run.describe()}"
    return remaining


SELF_INFLICTED = re.compile(r"ResourceInUse|ResourceNotFound|already exists")


DONE = re.compile(r"^\s*done:\s+(\S+) \((\w+)\)", re.MULTILINE)


def reported_done(output: str) -> list[tuple[str, str]]:
    """The (address, phase) pairs a failed apply's report lists as done."""
    return DONE.findall(output)


def converge(world: World, stack: Stack, manifest: Path, *extra: str, attempts: int = 4) -> Outcome:
    """Apply until exit 0, at most ``attempts`` runs, judging every run on the way."""
    runs: list[Run] = []
    for _ in range(attempts):
        run = world.apply(manifest, *extra)
        runs.append(run)
        judge_run(world, stack, run)
        if run.code == 0:
            return Outcome(tuple(runs))
    history = "\n\n".join(r.describe() for r in runs)
    raise AssertionError(f"no convergence after {attempts} applies:\n{history}")
