"""The console as a person uses it, in headless Chromium, checked against what the unmodified CMQ
SDK says about the same emulator: log in, the topology with live counts refreshing by itself, a
queue's attributes, sending a test message, routing one through a topic (why each subscription
does or does not receive it), the HTTP push log with its attempts and answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cmq.account import Account
from cmq.cmq_exception import CMQServerException
from cmq.queue import Message as QueueMessage
from cmq.topic import Message as TopicMessage

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from tests.console.conftest import Hook, shot
from tests.gitops.cli_helpers import run

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

MANIFEST = """
stack: shop
queues:
  orders-dead: {{}}
  orders: {{visibilityTimeout: 30, deadLetter: {{queue: orders-dead, maxReceiveCount: 1}}}}
  audit: {{}}
topics:
  events:
    filterType: routingKey
    subscriptions:
      to-orders: {{protocol: queue, endpoint: orders, bindingKeys: ["order.*.created"]}}
      to-audit: {{protocol: queue, endpoint: audit, bindingKeys: ["#"]}}
      hook: {{protocol: http, endpoint: "{hook}", bindingKeys: ["order.#"]}}
"""


def fill(emu: Emulator, hook: Hook, tmp_path: Path) -> Account:
    """The shop stack applied, then traffic through the CMQ SDK: a publish to every subscription,
    one to audit only, a delayed send, a receive that dead-letters after its visibility timeout."""
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(MANIFEST.format(hook=hook.url), encoding="utf-8")
    applied = run("apply", str(manifest), "--endpoint", emu.url, "--auto-approve")
    assert applied.code == 0, applied.stderr
    account = Account(emu.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    events = account.get_topic("events")
    events.publish_message(TopicMessage("order eu created"), routingKey="order.eu.created")
    events.publish_message(TopicMessage("payment done"), routingKey="payment.done")
    orders = account.get_queue("orders")
    orders.send_message(QueueMessage("later"), 600)
    assert orders.receive_message(0).msgBody == "order eu created"
    emu.clock.advance(31)  # the visibility timeout passes: received once, max 1: dead letter
    with pytest.raises(CMQServerException):
        orders.receive_message(0)
    return account


def counts(account: Account, queue: str) -> tuple[int, int, int]:
    meta = account.get_queue(queue).get_attributes()
    return meta.activeMsgNum, meta.inactiveMsgNum, meta.delayMsgNum


def login(page: Any, emu: Emulator) -> None:
    page.goto(f"{emu.url}/_cmqinfra/console/")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#secret-id", DEFAULT_SECRET_ID)
    page.fill("#secret-key", "not the key")
    page.click("#login-button")
    expect(page.locator("#login-error")).to_contain_text("not the emulator's")
    shot(page, "console-login")
    page.fill("#secret-key", DEFAULT_SECRET_KEY)
    page.click("#login-button")
    expect(page.locator("#queue-table")).to_be_visible()


def cell(page: Any, queue: str, count: str) -> Any:
    return page.locator(f'#queue-table tr[data-queue="{queue}"] td[data-count="{count}"]')


def test_topology_queue_topic_and_push_pages(page: Any, emu: Emulator, hook: Hook, tmp_path: Path) -> None:
    account = fill(emu, hook, tmp_path)
    login(page, emu)
    # The topology's counts are the emulator's, as the CMQ SDK reads them.
    for queue in ("orders", "audit", "orders-dead"):
        active, in_flight, delayed = counts(account, queue)
        expect(cell(page, queue, "active")).to_have_text(str(active))
        expect(cell(page, queue, "inFlight")).to_have_text(str(in_flight))
        expect(cell(page, queue, "delayed")).to_have_text(str(delayed))
    assert counts(account, "orders") == (0, 0, 1) and counts(account, "audit") == (2, 0, 0)
    expect(cell(page, "orders", "deadLettered")).to_have_text("1")
    expect(page.locator("#topology-image")).to_have_js_property("complete", True)
    assert page.eval_on_selector("#topology-image", "img => img.naturalWidth") > 300
    # It refreshes by itself: a message sent through the SDK shows up without a reload.
    account.get_queue("audit").send_message(QueueMessage("third"))
    expect(cell(page, "audit", "active")).to_have_text("3")
    shot(page, "console-topology")

    # A queue: its attributes, and a test message sent from the page lands in the queue.
    page.click('#queue-table a[href="#/queue/audit"]')
    expect(page.locator("#queue-name")).to_have_text("audit")
    expect(page.locator('tr[data-attribute="ActiveMsgNum"] td')).to_have_text("3")
    expect(page.locator('tr[data-attribute="VisibilityTimeout"] td')).to_have_text("30")
    page.fill("#send-body", "sent from the console")
    page.click("#send")
    expect(page.locator("#status")).to_contain_text("sent ")
    assert counts(account, "audit") == (4, 0, 0)
    bodies = [m.msgBody for m in account.get_queue("audit").batch_receive_message(16, 0)]
    assert "sent from the console" in bodies
    shot(page, "console-queue")

    # A topic: route a test message with the `cmqinfra route` matcher, then publish it.
    page.goto(f"{emu.url}/_cmqinfra/console/#/topic/events")
    expect(page.locator("#topic-name")).to_have_text("events")
    page.fill("#routing-key", "payment.done")
    page.click("#explain")
    expect(page.locator('#route-table tr[data-subscription="to-audit"] td').nth(2)).to_have_text("yes")
    no = page.locator('#route-table tr[data-subscription="to-orders"] td')
    expect(no.nth(2)).to_have_text("no")
    expect(no.nth(3)).to_contain_text("order.*.created")
    expect(page.locator("#status")).to_have_text("explained (nothing was published)")
    before = counts(account, "orders")
    page.fill("#routing-key", "order.us.created")
    page.click("#publish")
    expect(page.locator("#status")).to_contain_text("delivered to 2 queue(s), 1 http push(es) queued")
    expect(page.locator('#route-table tr[data-subscription="to-orders"] td').nth(2)).to_have_text("yes")
    assert counts(account, "orders")[0] == before[0] + 1
    shot(page, "console-topic")

    # The HTTP push log: the first push answered 500, its retry and the second push 200.
    emu.backend.deliver_due()
    emu.clock.advance(5)
    emu.backend.deliver_due()
    assert len(hook.bodies) == 3
    page.click('nav a[href="#/pushes"]')
    rows = page.locator("#push-table tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("#push-table")).to_contain_text("HTTP 500")
    expect(rows.nth(0).locator("td").nth(4)).to_have_text("2")  # newest first: the retry
    expect(rows.nth(0).locator("td").nth(5)).to_have_text("HTTP 200")
    shot(page, "console-pushes")
