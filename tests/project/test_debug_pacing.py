"""``--debug`` says what pacing cost: the calls the service refused as over its rate limit (and
the client retried) and the slack the client learned from them, for a PATH and for a project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import cmq, write

from cmqinfra.cloud.limiter import SLACK_FLOOR, SLACK_STEP
from cmqinfra.emulator import Emulator
from cmqinfra.emulator.faults import Outcome


@pytest.fixture
def refusing(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator that refuses the first DescribeCmqTopics call as over the limit, as a service
    whose window still holds a call that arrived late would."""
    emulator = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=False)
    dice = emulator._dice  # type: ignore[attr-defined]
    draw = dice.draw
    refused: list[str] = []

    def draw_once(action: str) -> Any:
        if action == "DescribeCmqTopics" and not refused:
            refused.append(action)
            return Outcome.THROTTLE
        return draw(action)

    dice.draw = draw_once
    try:
        yield emulator
    finally:
        emulator.stop()


LEARNED = f"(pacing slack learned from them: {(SLACK_FLOOR + SLACK_STEP) * 1000:.0f} ms)"


def test_a_paths_debug_counts_the_refused_call_and_the_slack_it_taught(tmp_path: Path,
                                                                       refusing: Emulator) -> None:
    write(tmp_path, {"shop.yaml": "stack: shop\nqueues:\n  orders: {}\n"})
    code, _, err = cmq(tmp_path, "plan", "shop.yaml", "--endpoint", refusing.url, "--debug")
    assert code == 0, err
    assert f"  refused as over the rate limit and retried: 1 {LEARNED}" in err, err
    assert "  DescribeCmqTopics: " in err.split("API calls per action:", 1)[1]


def test_a_projects_debug_counts_the_refused_call_and_the_slack_it_taught(tmp_path: Path,
                                                                          refusing: Emulator) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": f"environments:\n  dev: {{endpoint: {refusing.url}}}\n"
                         "stacks:\n  shop: {path: shop}\n  audit: {path: audit}\n",
        "shop/m.yaml": "stack: shop\nqueues:\n  orders: {}\n",
        "audit/m.yaml": "stack: audit\nqueues:\n  trail: {}\n",
    })
    code, _, err = cmq(tmp_path, "plan", "--debug")
    assert code == 0, err
    block = err.split("API calls per action (all stacks):", 1)[1]
    assert f"  refused as over the rate limit and retried: 1 {LEARNED}" in block, err


def test_debug_says_nothing_of_refusals_when_there_were_none(tmp_path: Path) -> None:
    write(tmp_path, {"shop.yaml": "stack: shop\nqueues:\n  orders: {}\n"})
    code, _, err = cmq(tmp_path, "plan", "--local", "shop.yaml", "--debug")
    assert code == 0, err
    assert "API calls per action:" in err and "refused" not in err, err
