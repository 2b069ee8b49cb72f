"""``cmqinfra graph`` on one stack, as a user runs it: the three formats, live counts from an
emulator filled through the unmodified CMQ SDK, and bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pydot
import pytest
from cmq.account import Account
from cmq.topic import Message as TopicMessage

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from tests.gitops.cli_helpers import EXAMPLES, run

ORDER_EVENTS = str(EXAMPLES / "order-events.yaml")


@pytest.fixture
def emu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    monkeypatch.chdir(tmp_path)  # the CMQ SDK writes its log file into the working directory
    emulator = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False)
    try:
        yield emulator
    finally:
        emulator.stop()


def test_the_three_formats_of_one_stack(tmp_path: Path) -> None:
    mermaid = run("graph", str(EXAMPLES / "orders.yaml"))
    assert mermaid.code == 0, mermaid.stderr
    assert mermaid.stdout.startswith("flowchart LR\n")
    assert 'subgraph g0["stack orders"]' in mermaid.stdout
    assert '-. "dead letter after 3 receives" .->' in mermaid.stdout
    dot = run("graph", ORDER_EVENTS, "--format", "dot")
    [parsed] = pydot.graph_from_dot_data(dot.stdout)
    assert len(parsed.get_edges()) == 3
    out = tmp_path / "topology.svg"
    svg = run("graph", ORDER_EVENTS, "--format", "svg", "--out", str(out))
    assert svg.code == 0 and svg.stdout == ""
    assert "wrote" in svg.stderr and "4 nodes, 3 edges" in svg.stderr
    root = ET.parse(out).getroot()
    texts = {"".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert {"topic order-events", "queue billing", "stack order-events"} <= texts
    assert "billing: order.*.created, order.*.refun…" in texts  # the full label is its tooltip


def test_live_counts_come_from_the_emulator_the_sdk_filled(emu: Emulator) -> None:
    assert run("apply", ORDER_EVENTS, "--endpoint", emu.url, "--auto-approve").code == 0
    account = Account(emu.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    topic = account.get_topic("order-events")
    for key in ("order.7.created", "order.8.created", "order.8.paid"):
        topic.publish_message(TopicMessage("hello"), routingKey=key)
    account.get_queue("billing").receive_message(0)  # one of two goes in flight
    live = run("graph", ORDER_EVENTS, "--live", "--endpoint", emu.url)
    assert live.code == 0, live.stderr
    assert "queue billing (1 active, 1 in flight, 0 delayed)" in live.stdout
    assert "queue shipping (1 active, 0 in flight, 0 delayed)" in live.stdout
    assert "queue analytics (3 active, 0 in flight, 0 delayed)" in live.stdout


def test_live_marks_what_is_not_created_and_what_only_live_state_has(emu: Emulator, tmp_path: Path) -> None:
    first = tmp_path / "one.yaml"
    first.write_text("stack: s\nqueues:\n  kept: {}\n  gone: {}\n", encoding="utf-8")
    assert run("apply", str(first), "--endpoint", emu.url, "--auto-approve").code == 0
    first.write_text("stack: s\nqueues:\n  kept: {}\n  planned: {}\n", encoding="utf-8")
    live = run("graph", str(first), "--live", "--endpoint", emu.url)
    assert 'queue gone (live only, 0 active, 0 in flight, 0 delayed)' in live.stdout
    assert 'queue planned (not created)' in live.stdout


def test_bad_input_is_one_located_error_never_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack: s\nqueues:\n  q: {visibilityTimeout: banana}\n", encoding="utf-8")
    result = run("graph", str(bad))
    assert result.code == 1
    assert f"{bad}:3:" in result.stderr and "Traceback" not in result.stderr
    assert run("graph", ORDER_EVENTS, "--local").code == 1  # a target without --live means nothing
    assert run("graph", ORDER_EVENTS, "--stack", "x").code == 1


def test_a_large_fan_out_is_collapsed_and_the_command_says_so(tmp_path: Path) -> None:
    wide = tmp_path / "wide.yaml"
    sub = "      s{0:02}: {{protocol: queue, endpoint: q{0:02}, bindingKeys: ['#']}}\n"
    subs = "".join(sub.format(i) for i in range(30))
    queues = "".join(f"  q{i:02}: {{}}\n" for i in range(30))
    wide.write_text(f"stack: wide\nqueues:\n{queues}topics:\n  news:\n    filterType: routingKey\n"
                    f"    subscriptions:\n{subs}", encoding="utf-8")
    result = run("graph", str(wide), "--max-fanout", "8")
    assert result.code == 0, result.stderr
    assert result.stderr == "note: topic news: 23 of 30 subscriptions collapsed (more than 8)\n"
    assert '["23 more subscriptions"]' in result.stdout and result.stdout.count(" --> ") == 8
