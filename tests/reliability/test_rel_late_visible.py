"""Lost responses and late-visible resources together: one apply converges on its own.

A topic created a moment ago is not visible to Describe* yet; a subscription whose create
committed but whose response was lost is looked up on that topic, which answers "does not
exist". The read-back waits for the topic the way it waits for the subscription itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator, Faults
from tests.project.helpers import cmq

TOPICS = 4


@pytest.mark.parametrize("seed", [1, 3])  # seeds where a subscription's response is lost on a hidden topic
def test_one_apply_converges_with_lost_responses_on_late_visible_topics(
        tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    emu = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False)
    try:
        emu.faults = Faults(lost_response_rate=0.5, invisible_seconds=2,
                            actions=frozenset({"CreateCmqTopic", "CreateCmqSubscribe"}), seed=seed)
        hook = "{protocol: http, endpoint: 'http://127.0.0.1:9/h'}"
        topics = "".join(f"  t{i}:\n    subscriptions:\n      hook: {hook}\n" for i in range(TOPICS))
        (tmp_path / "s.yaml").write_text("stack: shop\ntopics:\n" + topics)
        manifest = str(tmp_path / "s.yaml")
        code, out, err = cmq(tmp_path, "apply", manifest, "--endpoint", emu.url, "--auto-approve")
        assert code == 0, err
        assert emu.call_counts()["CreateCmqSubscribe"] > TOPICS  # some responses were lost and retried
        emu.faults = Faults()
        code, out, err = cmq(tmp_path, "plan", str(tmp_path / "s.yaml"), "--endpoint", emu.url,
                             "--detailed-exitcode")
        assert code == 0, out + err
    finally:
        emu.stop()
