"""What ``cmqinfra emulator messages|redrive|reset|advance`` print, line for line, and how they
find the emulator serving a state file: the admin commands' text is read by people at a
terminal, so every column and word is pinned here."""

from __future__ import annotations

import socket
import sqlite3
import time
from pathlib import Path

import pytest

from cmqinfra.commands.emulator_admin import _message_lines, _redrive_lines, _reset_lines, _short, _when
from cmqinfra.emulator import Emulator
from tests.commands.test_in_process import cli

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def _message(**fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "msgId": "m-1",
        "state": "active",
        "dequeueCount": 0,
        "enqueueTime": T0,
        "visibleAt": T0 + 61,
        "tags": [],
        "body": "hello",
    }
    return {**base, **fields}


def test_the_message_table_has_a_header_aligned_columns_tags_routing_keys_and_sources() -> None:
    answer = {
        "queue": "orders",
        "truncated": False,
        "messages": [
            _message(tags=["a", "b"], routingKey="order.created"),
            _message(msgId="m-22", state="inflight", dequeueCount=3, visibleAt=None, body="x" * 70,
                     deadLetterSource="orders-src"),
            _message(msgId="m-3", tags=[], routingKey="k"),
        ],
    }
    assert _message_lines(answer) == [
        "queue orders: 3 message(s)",
        "MSG ID  STATE     DEQUEUED  ENQUEUED              VISIBLE AT            TAGS                   BODY",
        "m-1     active    0         2023-11-14T22:13:20Z  2023-11-14T22:14:21Z  a,b key=order.created  "
        "hello",
        "m-22    inflight  3         2023-11-14T22:13:20Z  -                     -                      "
        + "x" * 57 + "... (dead letter of orders-src)",
        "m-3     active    0         2023-11-14T22:13:20Z  2023-11-14T22:14:21Z  key=k                  "
        "hello",
    ]


def test_an_empty_or_truncated_listing_says_so() -> None:
    assert _message_lines({"queue": "q", "messages": [], "truncated": False}) == ["queue q: 0 message(s)"]
    lines = _message_lines({"queue": "q", "messages": [_message()], "truncated": True})
    assert lines[0] == "queue q: 1 message(s) (more not shown: raise --limit)"


def test_a_body_is_cut_only_beyond_sixty_characters_and_times_are_utc() -> None:
    assert _short("y" * 60) == "y" * 60
    assert _short("y" * 61) == "y" * 57 + "..."
    assert _when(None) == "-"
    assert _when(T0 + 0.9) == "2023-11-14T22:13:20Z"


def test_redrive_and_reset_lines_name_each_count_and_what_was_left() -> None:
    assert _redrive_lines(
        {"movedTotal": 3, "deadLetterQueue": "dlq", "moved": {"a": 2, "b": 1}, "inFlight": 1, "noSource": 2,
         "sourceFull": 4}
    ) == [
        "redrove 3 message(s) from dlq: 2 to a, 1 to b",
        "left 1 in flight (held by a consumer)",
        "left 2 with no known source queue",
        "left 4 whose source queue is full",
    ]
    assert _redrive_lines(
        {"movedTotal": 0, "deadLetterQueue": "dlq", "moved": {}, "inFlight": 0, "noSource": 0,
         "sourceFull": 0}
    ) == ["redrove 0 message(s) from dlq"]
    assert _reset_lines(
        {"stack": "s", "queues": ["q1", "q2"], "topics": ["t"], "unboundDeadLetter": ["other"]}
    ) == [
        "reset stack s: deleted 2 queue(s), 1 topic(s)",
        "  queue q1",
        "  queue q2",
        "  topic t",
        "  queue other (another stack's) lost its dead-letter binding",
    ]
    assert _reset_lines({"stack": None, "queues": [], "topics": [], "unboundDeadLetter": []}) == [
        "reset everything: deleted 0 queue(s), 0 topic(s)"
    ]


def test_advance_on_a_state_file_asks_for_a_running_emulator(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "e.sqlite3"
    with Emulator.start(data, rate_limits=False, push_loop=False):
        pass
    code, out, err = cli(capsys, "emulator", "advance", "5", "--data", str(data))
    assert (code, out) == (1, "")
    assert err == (
        "Error: only a running emulator has a clock to move: pass --endpoint URL (started with "
        "--virtual-clock)\n"
    )


def test_a_serving_url_that_never_answers_is_given_up_within_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "e.sqlite3"
    with Emulator.start(data, rate_limits=False, push_loop=False):
        pass
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with sqlite3.connect(data) as conn:
            conn.execute("INSERT INTO meta (key, value) VALUES ('serving_url', ?)", (f"http://127.0.0.1:{port}",))
        started = time.monotonic()
        code, out, err = cli(capsys, "emulator", "purge", "q", "--data", str(data))
        elapsed = time.monotonic() - started
    assert elapsed < 10, elapsed  # the health probe's own short timeout, not the client's 30 s
    assert code == 1 and "q" in err and "Traceback" not in err



def test_an_admin_command_on_a_state_file_runs_no_push_delivery(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pushes due in the state file are the emulator's to deliver when it next runs: a short-lived
    command reading the file must not start delivering them on the side."""
    import threading

    from cmqinfra.emulator import admin_door

    data = tmp_path / "e.sqlite3"
    with Emulator.start(data, rate_limits=False, push_loop=False) as emu:
        emu.backend.reset(None)
    threads: list[str] = []
    real_peek = admin_door.peek_json

    def peek_noting_threads(*args: object, **kwargs: object) -> object:
        threads.extend(t.name for t in threading.enumerate())
        return real_peek(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(admin_door, "peek_json", peek_noting_threads)
    code, _, err = cli(capsys, "emulator", "messages", "nosuch", "--data", str(data))
    assert code == 1 and "ResourceNotFound" in err
    assert threads and "cmqinfra-push" not in threads
