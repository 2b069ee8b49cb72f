"""A project's apply reads like a stack's: one [n/N] counter over every unit's steps, slow steps
reported while they run, and a long plan shown as its summary before approval."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cmq, write

from cmqinfra.emulator import Emulator, Faults
from cmqinfra.run import progress


def test_a_slow_step_of_a_unit_says_it_is_still_running(
    repo: Path, emulators: dict[str, Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "SLOW_AFTER", 0.3)
    monkeypatch.setattr(progress, "TICK", 0.05)
    emulators["prod"].faults = Faults(latency=0.8, actions=frozenset({"CreateCmqTopic"}))
    code, out, err = cmq(repo, "apply", "--auto-approve", "--stack", "audit")
    assert code == 0, err
    lines = out.splitlines()
    still = [line for line in lines if line.startswith("audit[prod]: topic/audit-log: still creating...")]
    assert still[:2] == ["audit[prod]: topic/audit-log: still creating... 0.3s elapsed",
                         "audit[prod]: topic/audit-log: still creating... 0.6s elapsed"]
    done = next(x for x in lines if x.startswith("[1/1] audit[prod]: topic/audit-log: created"))
    assert lines.index(still[-1]) < lines.index(done)


def _many_queues(root: Path, emu: Emulator, count: int) -> None:
    queues = "".join(f"  q{i:03d}: {{}}\n" for i in range(count))
    write(root, {
        "cmqinfra.yaml": f"""
            version: 1
            environments:
              dev: {{endpoint: {emu.url}, nameSuffix: -dev}}
              test: {{endpoint: {emu.url}, nameSuffix: -test}}
            stacks:
              bulk: {{path: stacks/bulk}}
            """,
        "stacks/bulk/bulk.yaml": "stack: bulk\nqueues:\n" + queues,
    })


def test_a_long_project_plan_is_shown_as_its_summary_before_approval(
    tmp_path: Path, emulators: dict[str, Emulator]
) -> None:
    _many_queues(tmp_path, emulators["dev"], 60)  # 120 changes: more than a long plan
    code, out, err = cmq(tmp_path, "plan", "--out", "p.plan")
    assert code == 0, err
    assert out.count("will be created") == 120  # plan and show always show everything
    code, out, err = cmq(tmp_path, "apply", "--plan", "p.plan")
    assert code == 0, err
    assert "will be created" not in out
    assert out.count("... and 60 more change(s) that destroy nothing, not shown: pass --verbose") == 2
    assert "[120/120] " in out
    assert "bulk[dev]: apply complete: 60 added, 0 changed, 0 destroyed (60 steps)." in out
    assert "Apply complete! Resources: 120 added, 0 changed, 0 destroyed across 2 stack(s)." in out

    write(tmp_path, {"stacks/bulk/bulk.yaml": "stack: bulk\nqueues:\n" + "".join(
        f"  q{i:03d}: {{visibilityTimeout: 45}}\n" for i in range(60))})
    code, out, err = cmq(tmp_path, "apply", "--auto-approve", "--verbose")
    assert code == 0, err
    assert out.count("will be updated in place") == 120
