"""``--parallelism N`` reaches the executor, for a stack (PATH) and for a project: the emulator
never serves more than N writes at once, and with a larger N it does serve several at once (so
the gauge can see overlap at all)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from helpers import cmq, write

from cmqinfra.emulator import Emulator, Faults

CREATES = ("CreateCmqQueue", "CreateCmqTopic")


class Gauge:
    """The most create calls an emulator was serving at the same moment."""

    def __init__(self, emu: Emulator) -> None:
        self.now = self.most = 0
        self._lock = threading.Lock()
        original = emu.handle

        def handle(http, request_id, unsupported):  # type: ignore[no-untyped-def]
            counted = http.headers.get("X-TC-Action", "") in CREATES
            if counted:
                with self._lock:
                    self.now += 1
                    self.most = max(self.most, self.now)
            try:
                return original(http, request_id, unsupported)
            finally:
                if counted:
                    with self._lock:
                        self.now -= 1

        emu.handle = handle  # type: ignore[method-assign]


def _queues(count: int) -> str:
    return "".join(f"  q{i:02d}: {{}}\n" for i in range(count))


@pytest.mark.parametrize(("parallelism", "low", "high"), [(1, 1, 1), (3, 2, 3)])
def test_a_stacks_apply_runs_at_most_parallelism_calls_at_once(
    tmp_path: Path, emulators: dict[str, Emulator], parallelism: int, low: int, high: int
) -> None:
    emu = emulators["dev"]
    write(tmp_path, {"s.yaml": f"stack: s\nregion: {emu.region}\nqueues:\n" + _queues(8)})
    emu.faults = Faults(latency=0.15, actions=frozenset(CREATES))
    gauge = Gauge(emu)
    code, out, err = cmq(tmp_path, "apply", "s.yaml", "--endpoint", emu.url, "--auto-approve",
                         "--parallelism", str(parallelism))
    assert code == 0, out + err
    assert "[8/8] " in out
    assert low <= gauge.most <= high, gauge.most


@pytest.mark.parametrize(("parallelism", "low", "high"), [(1, 1, 1), (3, 2, 3)])
def test_each_unit_of_a_projects_apply_runs_at_most_parallelism_calls_at_once(
    tmp_path: Path, emulators: dict[str, Emulator], parallelism: int, low: int, high: int
) -> None:
    """Units apply concurrently, each with its own executor (cmqinfra/run/applying.py): the bound
    holds per unit, here one unit per environment, each on its own emulator."""
    write(tmp_path, {
        "cmqinfra.yaml": f"""
            version: 1
            environments:
              dev: {{endpoint: {emulators["dev"].url}, region: {emulators["dev"].region}}}
              prod: {{endpoint: {emulators["prod"].url}, region: {emulators["prod"].region}}}
            stacks:
              a: {{path: stacks/a}}
            """,
        "stacks/a/a.yaml": "stack: a\nqueues:\n" + _queues(6),
    })
    gauges = {}
    for env, emu in emulators.items():
        emu.faults = Faults(latency=0.15, actions=frozenset(CREATES))
        gauges[env] = Gauge(emu)
    code, out, err = cmq(tmp_path, "apply", "--auto-approve", "--parallelism", str(parallelism))
    assert code == 0, out + err
    assert "[12/12] " in out
    assert all(low <= g.most <= high for g in gauges.values()), {e: g.most for e, g in gauges.items()}
