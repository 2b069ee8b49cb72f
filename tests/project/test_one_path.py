"""A PATH is a project of one unit: one renderer per format shows one unit or many the same way,
and a stack planned by its PATH reads exactly as the same stack planned as a project of one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from helpers import cmq, write

from cmqinfra.emulator import Emulator
from cmqinfra.live import LiveState
from cmqinfra.model import Queue, Stack
from cmqinfra.plan.compute import make_plan
from cmqinfra.render.text import TextUnit, render_text, render_units


def _plan(name: str) -> object:
    return make_plan(Stack(name=name, queues=(Queue(name=f"{name}-q"),)), LiveState(), region="ap-guangzhou")


def _unit(plan: object, env: str | None) -> TextUnit:
    key = f"{plan.stack.name}[{env}]" if env else plan.stack.name  # type: ignore[attr-defined]
    return TextUnit(key, plan.stack.name, env, "ap-guangzhou", None, plan, "changes")  # type: ignore


def test_one_unit_without_environment_is_its_plan_alone() -> None:
    plan = _plan("orders")
    assert render_units([_unit(plan, None)]) == render_text(plan)  # type: ignore[arg-type]


def test_many_units_show_each_plan_as_one_unit_would_under_its_heading() -> None:
    a, b = _plan("orders"), _plan("billing")
    text = render_units([_unit(a, "dev"), _unit(b, "dev")])
    for plan, key in ((a, "orders[dev]"), (b, "billing[dev]")):
        heading = f"=== {key} (region ap-guangzhou)\n"
        assert heading + render_text(plan) in text  # type: ignore[arg-type]
    assert "Project: 2 stack(s), 2 with changes." in text
    assert "STACK    ENVIRONMENT  REGION        ADD  CHANGE  DESTROY  STATUS" in text


def test_a_stack_by_its_path_reads_as_the_project_of_one(
    tmp_path: Path, emulators: dict[str, Emulator]
) -> None:
    emu = emulators["dev"]
    write(tmp_path, {"orders/orders.yaml": f"""
        stack: orders
        region: {emu.region}
        queues:
          orders-in: {{visibilityTimeout: 45}}
        """})
    code, by_path, err = cmq(tmp_path, "plan", "orders", "--endpoint", emu.url)
    assert code == 0, err
    code, as_project, err = cmq(tmp_path, "plan", "--endpoint", emu.url)
    assert code == 0, err
    assert "queue/orders-in will be created" in by_path
    assert as_project == by_path


def test_a_paths_read_starts_while_its_manifest_loads(
    tmp_path: Path, emulators: dict[str, Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The unit of a PATH is read as every unit is: from its manifest's ``stack:`` line, while the
    manifest loads; a partial plan (--target) reads by name once it has loaded."""
    from cmqinfra.run import session

    emu = emulators["dev"]
    write(tmp_path, {"s.yaml": f"stack: s\nregion: {emu.region}\nqueues:\n  q1: {{}}\n"})
    served: list[str] = []
    original_handle = emu.handle

    def handle(http, request_id, unsupported):  # type: ignore[no-untyped-def]
        served.append(http.headers.get("X-TC-Action", ""))
        return original_handle(http, request_id, unsupported)

    emu.handle = handle  # type: ignore[method-assign]
    seen_during_load: list[int] = []
    original_load = session.load

    def load(paths):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 2.0
        while not served and time.monotonic() < deadline:  # the early read's first calls arrive
            time.sleep(0.01)
        seen_during_load.append(len(served))
        return original_load(paths)

    monkeypatch.setattr(session, "load", load)
    code, _, err = cmq(tmp_path, "plan", "s.yaml", "--endpoint", emu.url)
    assert code == 0, err
    assert seen_during_load[-1] > 0
    served.clear()
    code, _, err = cmq(tmp_path, "plan", "s.yaml", "--endpoint", emu.url, "--target", "queue/q1")
    assert code == 0, err
    assert seen_during_load[-1] == 0


def test_a_refused_stacks_errors_stand_in_its_plan_once(
    tmp_path: Path, emulators: dict[str, Emulator]
) -> None:
    """One unit's plan errors are in its plan on stdout, as a stack's always were; stderr says
    only that nothing can be applied (a run of many repeats each unit's errors on stderr)."""
    emu = emulators["dev"]
    write(tmp_path, {
        "other.yaml": f"stack: other\nregion: {emu.region}\nqueues:\n  shared-q: {{}}\n",
        "s.yaml": f"stack: s\nregion: {emu.region}\nqueues:\n  shared-q: {{}}\n",
    })
    code, _, err = cmq(tmp_path, "apply", "other.yaml", "--endpoint", emu.url, "--auto-approve")
    assert code == 0, err
    code, out, err = cmq(tmp_path, "plan", "s.yaml", "--endpoint", emu.url)
    assert code == 1
    assert "other" in out and "shared-q" in out
    assert err.strip().splitlines() == ["error: the plan has 1 error(s); nothing can be applied"]
