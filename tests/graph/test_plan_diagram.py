"""The plan comment's diagram of what a plan touches, on plans made against the emulator:
styled by action, with a legend, checked by Mermaid itself; dropped first, with a note, when
the comment would not fit GitHub's limit with it (a plan of 1,000 changes)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator
from cmqinfra.render.markdown import GITHUB_COMMENT_LIMIT
from tests.gitops.cli_helpers import run
from tests.graph.mermaid_cli import render

BEFORE = """
stack: shop
queues:
  orders-dead: {}
  orders: {deadLetter: {queue: orders-dead, maxReceiveCount: 3}}
  legacy: {}
  audit: {}
topics:
  events:
    filterType: routingKey
    subscriptions:
      to-orders: {protocol: queue, endpoint: orders, bindingKeys: ["order.#"]}
      to-legacy: {protocol: queue, endpoint: legacy, bindingKeys: ["old.#"]}
  alerts: {}
  quiet: {}
"""
AFTER = """
stack: shop
queues:
  orders-dead: {}
  orders: {deadLetter: {queue: orders-dead, maxReceiveCount: 5}}
  fresh: {}
  audit: {}
topics:
  events:
    filterType: routingKey
    subscriptions:
      to-orders: {protocol: queue, endpoint: orders, bindingKeys: ["order.#"]}
      to-fresh: {protocol: queue, endpoint: fresh, bindingKeys: ["order.*.created"]}
  alerts: {filterType: routingKey}
  quiet: {}
"""


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    emulator = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False)
    try:
        yield emulator
    finally:
        emulator.stop()


def mermaid_of(comment: str) -> str:
    [block] = re.findall(r"```mermaid\n(.*?)```", comment, flags=re.S)
    return block


def node_ids(block: str) -> dict[str, str]:
    """The diagram's node id of each resource name (from its label)."""
    found = re.finditer(r'^\s+(n\d+)\W+"(?:queue|topic) ([\w-]+)', block, re.M)
    return {m.group(2): m.group(1) for m in found}


def test_the_comment_draws_what_the_plan_touches_styled_by_action(emu: Emulator, tmp_path: Path) -> None:
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(BEFORE, encoding="utf-8")
    assert run("apply", str(manifest), "--endpoint", emu.url, "--auto-approve").code == 0
    manifest.write_text(AFTER, encoding="utf-8")
    saved = tmp_path / "shop.plan"
    planned = run("plan", str(manifest), "--endpoint", emu.url, "--format", "markdown", "--out", str(saved))
    comment = planned.stdout
    # Summary and CAUTION come first, then the diagram, then the full plan.
    assert comment.index("**Plan:") < comment.index("[!CAUTION]") < comment.index("```mermaid")
    assert comment.index("```mermaid") < comment.index("```diff")
    block = mermaid_of(comment)
    ids = node_ids(block)
    assert f"class {ids['legacy']} delete" in block
    assert f"class {ids['fresh']} create" in block
    assert f"class {ids['alerts']} replace" in block
    assert f"class {ids['orders']} update" in block
    assert f"class {ids['events']} " not in block  # a neighbour, drawn plain
    assert "audit" not in block and "quiet" not in block  # untouched, not next to a change
    assert 'legend_delete["deleted"]:::delete' in block and "Legend: **created**" in comment
    assert f"; {len(ids)} resources: the changes and their immediate neighbours" in comment
    assert re.search(rf'{ids["orders"]} -\. "dead letter after 3 receives" \.-> {ids["orders-dead"]}', block)
    assert len(re.findall(r"^  linkStyle \d+ stroke:", block, re.M)) == 4  # 2 subscriptions, 2 dead letters
    shown = run("show", str(saved), "--format", "markdown")
    assert mermaid_of(shown.stdout) == block  # show draws the saved plan the same way
    [svg] = render([block], tmp_path)
    assert "fresh" in svg and "legacy" in svg and "deleted" in svg


def test_a_diagram_of_one_resource_says_one_resource(emu: Emulator, tmp_path: Path) -> None:
    manifest = tmp_path / "one.yaml"
    manifest.write_text("stack: one\nqueues:\n  solo: {}\n", encoding="utf-8")
    comment = run("plan", str(manifest), "--endpoint", emu.url, "--format", "markdown").stdout
    assert "; 1 resource: the changes" in comment


def test_a_plan_of_1000_changes_keeps_summary_and_caution_and_drops_the_diagram_first(
    emu: Emulator, tmp_path: Path
) -> None:
    manifest = tmp_path / "big.yaml"
    manifest.write_text("stack: big\nqueues:\n" + "".join(f"  old-{i:04}: {{}}\n" for i in range(100)))
    applied = run("apply", str(manifest), "--endpoint", emu.url, "--auto-approve", "--parallelism", "20")
    assert applied.code == 0
    manifest.write_text("stack: big\nqueues:\n" + "".join(f"  new-{i:04}: {{}}\n" for i in range(900)))
    comment = run("plan", str(manifest), "--endpoint", emu.url, "--format", "markdown").stdout
    assert len(comment) <= GITHUB_COMMENT_LIMIT
    assert "**Plan: 900 to add, 0 to change, 100 to destroy.**" in comment
    assert "[!CAUTION]" in comment and "`queue/old-0000` will be **deleted**" in comment
    assert "```mermaid" not in comment
    assert "The diagram of what this plan touches was left out: 1,000 resources" in comment
    assert comment.index("[!CAUTION]") < comment.index("diagram of what this plan touches was left out")
    assert "to stay under GitHub's 65,536-character comment limit" in comment


def test_a_diagram_that_fits_its_budget_still_gives_way_to_the_comment(emu: Emulator, tmp_path: Path) -> None:
    from cmqinfra.render.markdown import render_markdown
    from cmqinfra.run.saved import read_saved

    manifest = tmp_path / "shop.yaml"
    manifest.write_text(BEFORE, encoding="utf-8")
    assert run("apply", str(manifest), "--endpoint", emu.url, "--auto-approve").code == 0
    manifest.write_text(AFTER, encoding="utf-8")
    saved = tmp_path / "shop.plan"
    assert run("plan", str(manifest), "--endpoint", emu.url, "--out", str(saved)).code == 0
    plan = read_saved(str(saved)).plan
    assert plan is not None
    whole = render_markdown(plan)
    assert "```mermaid" in whole
    limit = len(whole) - 10  # the diagram would fit its own budget, but not the comment
    text = render_markdown(plan, limit=limit)
    assert len(text) <= limit and "```mermaid" not in text
    assert "the comment would pass GitHub's comment limit with it" in text
    assert "`queue/legacy` will be **deleted**" in text
    assert "```diff" in text and "(cut:" not in text  # the plan itself is not cut
    # Over its own budget the diagram gives way even when the comment has room.
    from cmqinfra.graph.plan_diagram import plan_sections

    [section] = plan_sections([("shop", plan)], budget=500)
    assert "```mermaid" not in section.body and "over its budget of 500" in section.body
