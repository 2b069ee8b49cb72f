"""Reviewed data loss: `plan --allow-data-loss --out` approves losing the messages of exactly
the queues it shows (with their counts); `apply --plan` deletes those and refuses any other."""

from __future__ import annotations

import json
from pathlib import Path

from cmqinfra.emulator import Emulator
from tests.review.helpers import CallLog, queue_names, run, send, write

BEFORE = """\
    stack: lossy
    queues:
      keep: {}
      orders: {}
      audit: {}
      spare: {}
"""
AFTER = """\
    stack: lossy
    queues:
      keep: {}
"""


def setup(emu: Emulator, tmp_path: Path) -> str:
    path = write(tmp_path / "lossy.yaml", BEFORE)
    assert run("apply", path, "--endpoint", emu.url, "--auto-approve").code == 0
    send(emu, "orders", 3)
    send(emu, "orders", 1, delay=600)
    send(emu, "audit", 2)
    return write(tmp_path / "lossy.yaml", AFTER)


def test_plan_without_approval_refuses_and_saves_nothing(emu: Emulator, tmp_path: Path) -> None:
    path = setup(emu, tmp_path)
    out = run("plan", path, "--endpoint", emu.url, "--out", str(tmp_path / "p.plan"))
    assert out.code == 1
    assert "queue/orders holds 4 message(s) (active 3, in flight 0, delayed 1)" in out.stdout
    assert "No changes" not in out.output
    assert not (tmp_path / "p.plan").exists()


def test_approved_data_loss_deletes_exactly_the_approved_queues(emu: Emulator, tmp_path: Path) -> None:
    path = setup(emu, tmp_path)
    out = run("plan", path, "--endpoint", emu.url, "--allow-data-loss", "--out", str(tmp_path / "p.plan"))
    assert out.code == 0, out.output
    assert (
        "CAUTION: queue/orders will be deleted with 4 message(s): active 3, in flight 0, delayed 1 (approved)"
        in out.stdout
    )
    assert "CAUTION: queue/audit will be deleted with 2 message(s): active 2" in out.stdout
    saved = json.loads((tmp_path / "p.plan").read_text())
    assert saved["units"][0]["saved_plan"]["approved_data_loss"] == ["queue/audit", "queue/orders"]
    markdown = run("show", str(tmp_path / "p.plan"), "--format", "markdown").stdout
    caution = markdown.split("> [!CAUTION]")[1].split("<details>")[0]
    assert (
        "> - **data loss** (approved in this plan): `queue/orders will be deleted with 4 message(s): "
        "active 3, in flight 0, delayed 1`" in caution
    )
    applied = run("apply", "--plan", str(tmp_path / "p.plan"))
    assert applied.code == 0, applied.output
    assert queue_names(emu) == {"keep"}


def test_a_queue_not_approved_in_the_plan_is_still_refused(emu: Emulator, tmp_path: Path) -> None:
    path = setup(emu, tmp_path)
    out = run("plan", path, "--endpoint", emu.url, "--allow-data-loss", "--out", str(tmp_path / "p.plan"))
    assert out.code == 0, out.output
    send(emu, "spare", 1)  # after the review: spare was empty when the plan was approved
    calls = CallLog(emu)
    refused = run("apply", "--plan", str(tmp_path / "p.plan"))
    assert refused.code == 1
    assert "queue/spare holds 1 message(s)" in refused.stdout
    assert "not approved in the saved plan" in refused.stdout
    assert calls.writes == []
    assert queue_names(emu) == {"keep", "orders", "audit", "spare"}


def test_a_saved_plan_does_not_take_a_blanket_approval(emu: Emulator, tmp_path: Path) -> None:
    path = setup(emu, tmp_path)
    run("plan", path, "--endpoint", emu.url, "--allow-data-loss", "--out", str(tmp_path / "p.plan"))
    out = run("apply", "--plan", str(tmp_path / "p.plan"), "--allow-data-loss")
    assert out.code == 1 and "carries its own approval" in out.stderr
    assert queue_names(emu) == {"keep", "orders", "audit", "spare"}
