"""Progress a person can follow: [n/N] per step, slow steps reported while they run, a summary
with the elapsed time; a long plan is summarised before approval; refusals that will repeat say so."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator, Faults
from cmqinfra.run import progress, session
from tests.review.helpers import queue_names, run, write

CHAIN = """\
    stack: steps
    queues:
      dead: {}
      work: {deadLetter: {queue: dead, maxReceiveCount: 3}}
      other: {}
"""


def test_every_step_has_a_counter_and_the_summary_the_elapsed_time(emu: Emulator, tmp_path: Path) -> None:
    path = write(tmp_path / "steps.yaml", CHAIN)
    out = run("apply", path, "--endpoint", emu.url, "--auto-approve")
    assert out.code == 0, out.output
    steps = [re.fullmatch(r"\[(\d)/3\] (queue/\w+): created \(\d+\.\d\ds\)", line)
             for line in out.stdout.splitlines() if line.startswith("[")]
    assert all(steps) and [m.group(1) for m in steps] == ["1", "2", "3"]  # type: ignore[union-attr]
    order = [m.group(2) for m in steps]  # type: ignore[union-attr]
    assert sorted(order) == ["queue/dead", "queue/other", "queue/work"]
    assert order.index("queue/dead") < order.index("queue/work")  # the dead letter first
    summary = r"^Apply complete! Resources: 3 added, 0 changed, 0 destroyed\. \(3 steps in \d+\.\ds\)$"
    assert re.search(summary, out.stdout, re.M)


def test_a_slow_step_says_it_is_still_running(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress, "SLOW_AFTER", 0.3)
    monkeypatch.setattr(progress, "TICK", 0.05)
    emu.faults = Faults(latency=0.8, actions=frozenset({"CreateCmqQueue"}))
    path = write(tmp_path / "slow.yaml", "stack: slow\nqueues:\n  slowpoke: {}\n")
    out = run("apply", path, "--endpoint", emu.url, "--auto-approve")
    assert out.code == 0, out.output
    lines = out.stdout.splitlines()
    still = [line for line in lines if line.startswith("queue/slowpoke: still creating...")]
    assert still[:2] == [
        "queue/slowpoke: still creating... 0.3s elapsed",
        "queue/slowpoke: still creating... 0.6s elapsed",
    ]
    done = next(x for x in lines if x.startswith("[1/1] queue/slowpoke"))
    assert lines.index(still[-1]) < lines.index(done)


def test_a_long_plan_is_summarised_before_approval(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session, "interactive", lambda: True)
    queues = "".join(f"  q{i:03d}: {{}}\n" for i in range(session.LONG_PLAN + 5))
    path = write(tmp_path / "big.yaml", "stack: big\nqueues:\n" + queues)
    out = run("apply", path, "--endpoint", emu.url, input="no\n")
    assert out.code == 1 and "cancelled: the answer was not 'yes'; nothing was changed" in out.stderr
    assert f"... and {session.LONG_PLAN + 5} more change(s) that destroy nothing, not shown" in out.stdout
    assert 'queue "q000"' not in out.stdout
    assert f"Plan: {session.LONG_PLAN + 5} to add, 0 to change, 0 to destroy." in out.stdout
    verbose = run("apply", path, "--endpoint", emu.url, "--verbose", input="no\n")
    assert 'queue "q000"' in verbose.stdout and "not shown" not in verbose.stdout
    assert queue_names(emu) == set()


def test_a_refusal_that_will_repeat_says_so(emu: Emulator, tmp_path: Path) -> None:
    path = write(tmp_path / "hook.yaml", """\
        stack: hooks
        topics:
          events:
            subscriptions:
              hook: {protocol: http, endpoint: "https://example.com/hook"}
    """)
    assert run("plan", path, "--endpoint", emu.url, "--out", str(tmp_path / "p.plan")).code == 0
    # A plan file edited by hand (or by an older cmqinfra) slips a URL past validation.
    text = (tmp_path / "p.plan").read_text().replace("https://example.com/hook", "https://")
    doc = json.loads(text)
    doc.pop("cmqinfra_seal")  # an edit breaks the seal: only an unsealed plan can carry it (no key set)
    text = json.dumps(doc)
    (tmp_path / "p.plan").write_text(text)
    assert json.loads(text)["units"][0]["saved_plan"]["desired"]["subscriptions"][0]["endpoint"] == "https://"
    out = run("apply", "--plan", str(tmp_path / "p.plan"))
    assert out.code == 1
    assert "InvalidParameterValue" in out.stderr
    assert "that refusal will repeat on every run" in out.stderr
    assert "Running apply again converges" not in out.output
