"""The console's message actions in headless Chromium, checked through the CMQ SDK: the browser
peeks without consuming (a hostile body stays text), purges after a second click, and redrives a
dead letter back to the queue it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cmq.queue import Message as QueueMessage

from cmqinfra.emulator import Emulator
from tests.console.conftest import Hook, shot
from tests.console.test_console_browser import counts, fill, login

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect
HOSTILE = '<img src=x onerror="window.__owned=1"><script>window.__owned=2</script>'


def test_peek_purge_and_redrive(page: Any, emu: Emulator, hook: Hook, tmp_path: Path) -> None:
    account = fill(emu, hook, tmp_path)
    account.get_queue("audit").send_message(QueueMessage(HOSTILE))
    login(page, emu)

    # Peek at the dead letter: shown with its state and source, and still there afterwards.
    page.goto(f"{emu.url}/_cmqinfra/console/#/queue/orders-dead")
    row = page.locator("#message-table tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text("active")
    expect(row.locator("pre.body")).to_have_text("order eu created")
    expect(row.locator("td").nth(5)).to_have_text("orders")
    page.wait_for_timeout(2500)  # one more refresh: peeking again consumes nothing either
    assert counts(account, "orders-dead") == (1, 0, 0)
    shot(page, "console-queue")

    # Redrive: back to orders, exactly once, and a consumer there gets it.
    expect(page.locator("#redrive")).to_be_visible()
    page.click("#redrive")
    expect(page.locator("#status")).to_have_text("redrove 1 message(s)")
    expect(page.locator("#no-messages")).to_be_visible()
    assert counts(account, "orders-dead") == (0, 0, 0)
    assert counts(account, "orders") == (1, 0, 1)
    assert account.get_queue("orders").receive_message(0).msgBody == "order eu created"

    # A hostile body is text on the page, never markup or script.
    page.goto(f"{emu.url}/_cmqinfra/console/#/queue/audit")
    expect(page.locator("#message-table tbody tr")).to_have_count(3)
    expect(page.locator("#message-table")).to_contain_text(HOSTILE)
    assert page.evaluate("window.__owned") is None
    assert counts(account, "audit") == (3, 0, 0)

    # Purge asks once more, then empties the queue.
    page.click("#purge")
    expect(page.locator("#purge")).to_contain_text("Confirm purge")
    assert counts(account, "audit") == (3, 0, 0)
    page.click("#purge")
    expect(page.locator("#status")).to_have_text("purged 3 message(s)")
    expect(page.locator("#no-messages")).to_be_visible()
    assert counts(account, "audit") == (0, 0, 0)
