"""G5: data is checked when it is deleted, not only when planned (docs/security.md). Messages
arrive between the plan and the delete; they are never deleted unapproved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from cmqinfra.emulator import Emulator
from cmqinfra.run import session
from tests.project.helpers import cmq, write
from tests.review.helpers import send

BEFORE = "stack: shop\nqueues:\n  keep: {}\n  doomed: {}\n"
AFTER = "stack: shop\nqueues:\n  keep: {}\n"


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    emulator = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False)
    yield emulator
    emulator.stop()


def counts(emu: Emulator, queue: str) -> int:
    return emu.backend.counts(queue).active


def _answer_yes_after(monkeypatch: pytest.MonkeyPatch, meanwhile: object) -> None:
    """A person at a terminal who answers 'yes' after ``meanwhile`` happened."""
    monkeypatch.setattr(session, "interactive", lambda: True)

    def prompt(*args: object, **kw: object) -> str:
        meanwhile()  # type: ignore[operator]
        return "yes"

    monkeypatch.setattr(click, "prompt", prompt)


def _stack(tmp_path: Path, emu: Emulator) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(BEFORE)
    code, _, err = cmq(tmp_path, "apply", str(path), "--endpoint", emu.url, "--auto-approve")
    assert code == 0, err
    path.write_text(AFTER)
    return path


def test_messages_that_arrive_while_the_prompt_waits_are_not_deleted(
        tmp_path: Path, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _stack(tmp_path, emu)
    _answer_yes_after(monkeypatch, lambda: send(emu, "doomed", 5))
    code, out, err = cmq(tmp_path, "apply", str(path), "--endpoint", emu.url)
    assert code == 1
    assert "queue/doomed holds 5 message(s) now (active 5, in flight 0, delayed 0) and this plan did " \
           "not approve losing them: not deleted" in out + err
    assert counts(emu, "doomed") == 5
    assert emu.call_counts().get("DeleteCmqQueue", 0) == 0
    assert "Not deleted, because they hold messages now: queue/doomed. Plan again" in err
    assert "converges" not in err


def test_a_change_while_the_prompt_waits_refuses_the_plan_shown(
        tmp_path: Path, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.review.helpers import sdk_client

    path = _stack(tmp_path, emu)

    def console_edit() -> None:
        sdk_client(emu).call_json("ModifyCmqQueueAttribute", {"QueueName": "keep", "VisibilityTimeout": 99})

    _answer_yes_after(monkeypatch, console_edit)
    code, out, err = cmq(tmp_path, "apply", str(path), "--endpoint", emu.url)
    assert code == 1
    assert "live state changed while the approval waited" in err
    assert emu.call_counts().get("DeleteCmqQueue", 0) == 0


def test_in_a_project_too(tmp_path: Path, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    config = f"environments:\n  prod: {{endpoint: {emu.url}}}\nstacks:\n  shop: {{path: shop}}\n"
    write(repo, {"cmqinfra.yaml": config, "shop/shop.yaml": BEFORE})
    assert cmq(repo, "apply", "--auto-approve")[0] == 0
    (repo / "shop/shop.yaml").write_text(AFTER)
    _answer_yes_after(monkeypatch, lambda: send(emu, "doomed", 3))
    code, out, err = cmq(repo, "apply")
    assert code == 1
    assert "queue/doomed holds 3 message(s) now" in out + err
    assert counts(emu, "doomed") == 3


def test_a_saved_plan_whose_queue_fills_while_its_delete_waits(
        tmp_path: Path, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's case: empty when apply planned again, 5 messages by the time its delete runs
    (here: sent when the delete of the subscription that feeds it goes out, which comes first)."""
    from cmqinfra.cloud.tdmq import TdmqApi

    path = tmp_path / "shop.yaml"
    path.write_text("stack: shop\nqueues:\n  keep: {}\n  doomed: {}\ntopics:\n  events:\n"
                    "    subscriptions:\n      feed: {protocol: queue, endpoint: doomed}\n")
    assert cmq(tmp_path, "apply", str(path), "--endpoint", emu.url, "--auto-approve")[0] == 0
    path.write_text("stack: shop\nqueues:\n  keep: {}\ntopics:\n  events: {}\n")
    code, _, err = cmq(tmp_path, "plan", str(path), "--endpoint", emu.url, "--out", "p.plan")
    assert code == 0, err
    real = TdmqApi.delete_subscription

    def and_meanwhile(self: TdmqApi, topic: str, name: str) -> None:
        real(self, topic, name)
        send(emu, "doomed", 5)

    monkeypatch.setattr(TdmqApi, "delete_subscription", and_meanwhile)
    code, out, err = cmq(tmp_path, "apply", "--plan", "p.plan")
    assert code == 1
    assert "queue/doomed holds 5 message(s) now" in out + err
    assert counts(emu, "doomed") == 5


def test_an_approved_queue_is_deleted_with_its_messages(tmp_path: Path, emu: Emulator) -> None:
    path = _stack(tmp_path, emu)
    send(emu, "doomed", 2)
    code, out, err = cmq(tmp_path, "apply", str(path), "--endpoint", emu.url, "--auto-approve",
                         "--allow-data-loss")
    assert code == 0, err
    assert emu.call_counts().get("DeleteCmqQueue") == 1
