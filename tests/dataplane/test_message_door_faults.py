"""The fault flags reach the CMQ message door, per queue when asked: an application's retry
paths can be tested through the unmodified CMQ SDK."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cmq.account import Account
from cmq.cmq_exception import CMQClientNetworkException, CMQServerException, CMQServerNetworkException
from cmq.queue import Message

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator, Faults

from .conftest import account_for, make_queue


def test_each_fault_answers_as_the_sdk_expects_and_does_nothing(real_emu: Emulator) -> None:
    account = account_for(real_emu)
    queue = make_queue(account, "faulty")
    for faults, expected in (
        (Faults(internal_error_rate=1.0), (CMQServerException, 6000)),
        (Faults(throttle_rate=1.0), (CMQServerException, 4420)),
        (Faults(http_5xx_rate=1.0), (CMQServerNetworkException, 503)),
        (Faults(drop_connection_rate=1.0), (CMQClientNetworkException, None)),
    ):
        real_emu.faults = faults
        with pytest.raises(expected[0]) as info:
            queue.send_message(Message("m"))
        if expected[1] is not None:
            assert int(getattr(info.value, "code", getattr(info.value, "status", 0))) == expected[1]
    real_emu.faults = Faults()
    assert queue.get_attributes().activeMsgNum == 0


def test_a_lost_response_is_committed_once(real_emu: Emulator) -> None:
    # The SDK resends the same signed request when the answer never comes; that resend is a
    # replay of a served request, refused, so the message is there exactly once.
    queue = make_queue(account_for(real_emu), "lost")
    real_emu.faults = Faults(lost_response_rate=1.0, actions=frozenset({"SendMessage"}))
    with pytest.raises(CMQServerException) as info:
        queue.send_message(Message("m"))
    assert info.value.code == 4100 and "replay" in info.value.message
    real_emu.faults = Faults()
    assert queue.get_attributes().activeMsgNum == 1


def test_latency_applies_to_the_message_door(real_emu: Emulator) -> None:
    queue = make_queue(account_for(real_emu), "slow")
    real_emu.faults = Faults(latency=0.3)
    started = time.monotonic()
    queue.send_message(Message("m"))
    assert time.monotonic() - started >= 0.3


def test_faults_can_be_limited_to_one_queue(real_emu: Emulator) -> None:
    account = account_for(real_emu)
    flaky, steady = make_queue(account, "flaky"), make_queue(account, "steady")
    real_emu.faults = Faults(internal_error_rate=1.0, resources=frozenset({"FLAKY"}))
    steady.send_message(Message("m"))
    with pytest.raises(CMQServerException) as info:
        flaky.send_message(Message("m"))
    assert info.value.code == 6000
    assert steady.receive_message(0).msgBody == "m"


def test_a_seeded_rate_is_reproducible_and_partial(real_emu: Emulator) -> None:
    queue = make_queue(account_for(real_emu), "seeded")

    def run() -> list[bool]:
        real_emu.faults = Faults(internal_error_rate=0.5, seed=11, actions=frozenset({"SendMessage"}))
        outcomes = []
        for _ in range(30):
            try:
                queue.send_message(Message("m"))
                outcomes.append(True)
            except CMQServerException:
                outcomes.append(False)
        return outcomes

    first, second = run(), run()
    assert first == second and 0 < sum(first) < 30


def test_the_cli_flags_reach_the_message_door(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    process = subprocess.Popen(
        [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", "--fresh", "--no-rate-limits",
         "--internal-error-rate", "1.0", "--fault-queue", "orders"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().removeprefix("listening on ")
        account = Account(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
        orders, other = account.get_queue("orders"), account.get_queue("other")
        with pytest.raises(CMQServerException) as info:
            orders.send_message(Message("m"))  # CreateQueue names it too: no queue exists
        assert info.value.code == 6000
        make_queue(account, "other")
        other.send_message(Message("m"))
    finally:
        process.terminate()
        process.communicate(timeout=10)
