"""Stacks against one endpoint and account share one per-action rate budget: planning many at once
never sends faster than the service allows, against a rate-limited emulator over HTTP."""

from __future__ import annotations

import time
from pathlib import Path

from helpers import write

from cmqinfra.emulator import Emulator
from cmqinfra.project import load_project
from cmqinfra.project.resolve import resolve_all
from cmqinfra.run.connections import Connections
from cmqinfra.run.runner import plan_project
from cmqinfra.run.session import TargetOptions

RATE_SCALE = 0.25  # 5 calls per second for the 20-per-second actions


def test_units_on_one_target_share_one_budget(tmp_path: Path) -> None:
    emu = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=True, rate_scale=RATE_SCALE)
    try:
        stacks = {f"s{i}": {"path": f"s{i}"} for i in range(8)}
        files = {f"s{i}/m.yaml": f"stack: s{i}\nqueues:\n  q{i}: {{}}\n" for i in range(8)}
        config = f"environments:\n  dev: {{endpoint: {emu.url}}}\nstacks: {stacks}\n"
        write(tmp_path / "repo", {"cmqinfra.yaml": config, **files})
        project = load_project(tmp_path / "repo")
        assert project.ok, project.diagnostics
        resolved = resolve_all(project, project.units())
        connections = Connections(TargetOptions(), tmp_path, rate_scale=RATE_SCALE)
        try:
            started = time.monotonic()
            items, apis = plan_project(resolved, TargetOptions(), connections)
            elapsed = time.monotonic() - started
            assert [i.status for i in items] == ["changes"] * 8
            throttled = sum(sum(api.throttled_counts().values()) for api in apis.values())
            calls = connections.call_counts()
        finally:
            connections.close()
    finally:
        emu.stop()
    # One budget for all: at most a rare refusal when a request is delayed on its way on a loaded
    # machine (the pacing tolerates those; see cmqinfra/cloud/limiter.py). A budget per stack sends
    # eight times the rate: then most calls are refused (about 70 of 90 measured).
    assert throttled * 4 <= sum(calls.values()), (throttled, calls)
    # 8 stacks each list their queues (and look up the named ones) at 5 calls a second in all.
    per_action = calls["DescribeCmqQueues"]
    assert per_action >= 8
    assert elapsed >= (per_action - 5) / 5 - 0.2
