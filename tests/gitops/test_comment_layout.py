"""The plan comment's structure as GitHub renders it (cmark-gfm): risk first, never collapsed.

Real plans of real units (make_plan on live states): deletions, a replacement, data loss, a
refused unit, a failed unit, an orphan, drift, units without changes. The rendered HTML is
walked to check where each thing stands, not grepped for words alone.
"""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.live import LiveQueue, LiveState, LiveTopic
from cmqinfra.model import FilterType, Queue, Stack, Topic
from cmqinfra.plan.compute import make_plan
from cmqinfra.plan.drift import mark_drift
from cmqinfra.plan.values import Action, DataLoss, Plan, ResourceChange
from cmqinfra.project.units import StackUnit
from cmqinfra.render.markdown import (
    GITHUB_COMMENT_LIMIT,
    Provenance,
    Section,
    render_markdown,
)
from cmqinfra.run.connections import ResolvedTarget
from cmqinfra.run.report import render_project_markdown
from cmqinfra.run.runner import UnitPlan

TARGET = ResolvedTarget("endpoint", "http://127.0.0.1:1", None, None)
WHEN = Provenance("0123456789abcdef0123456789abcdef01234567", "2026-12-06 19:00:00 UTC")


def live_queue(name: str, stack: str, **kw: object) -> LiveQueue:
    return LiveQueue(Queue(name=name, **kw), f"id-{name}", stack, False)  # type: ignore[arg-type]


def item(name: str, env: str, plan: Plan | None, error: str | None = None) -> UnitPlan:
    unit = StackUnit(stack_name=name, environment=env, paths=(), region="ap-guangzhou")
    return UnitPlan(unit, "ap-guangzhou", TARGET, plan=plan, error=error,
                    diagnostics=(Diagnostic("stacks/x.yaml:3:5: queue name is bad"),) if error else ())


def quiet(name: str, env: str) -> UnitPlan:
    stack = Stack(name=name, region="ap-guangzhou", queues=(Queue(name=f"{name}-q"),))
    live = LiveState(queues={f"{name}-q": live_queue(f"{name}-q", name)})
    return item(name, env, make_plan(stack, live, region="ap-guangzhou"))


def risky_units() -> list[UnitPlan]:
    # payments: deletes a queue holding messages (approved), replaces a topic, and its `jobs`
    # visibility timeout was changed in the console (30 applied, 90 live) and is set back.
    desired = Stack(name="payments", region="ap-guangzhou",
                    queues=(Queue(name="jobs", visibility_timeout=30),),
                    topics=(Topic(name="events", filter_type=FilterType.ROUTING_KEY),))
    live = LiveState(
        queues={"jobs": live_queue("jobs", "payments", visibility_timeout=90),
                "old": live_queue("old", "payments")},
        topics={"events": LiveTopic(Topic(name="events", filter_type=FilterType.TAG), "t1", "payments",
                                    False)},
    )
    plan = make_plan(desired, live, region="ap-guangzhou")
    plan = dataclasses.replace(plan, data_loss=(DataLoss("queue/old", Action.DELETE, 3, 1, 0, True),))
    baseline = Stack(name="payments", region="ap-guangzhou",
                     queues=(Queue(name="jobs", visibility_timeout=30), Queue(name="old")),
                     topics=(Topic(name="events", filter_type=FilterType.TAG),))
    plan = mark_drift(plan, baseline)
    # orders: another stack owns its queue, so the plan is refused with the reason
    orders = make_plan(Stack(name="orders", region="ap-guangzhou", queues=(Queue(name="shared"),)),
                       LiveState(queues={"shared": live_queue("shared", "billing")}), region="ap-guangzhou")
    assert not orders.ok
    # growth: only adds
    growth = make_plan(Stack(name="growth", region="ap-guangzhou", queues=(Queue(name="new"),)),
                       LiveState(), region="ap-guangzhou")
    return [quiet("audit", "dev"), item("growth", "prod", growth), item("payments", "prod", plan),
            quiet("audit", "prod"), item("orders", "prod", orders),
            item("broken", "prod", None, error="the manifests have errors"), quiet("search", "dev")]


class Structure(HTMLParser):
    """The top-level blocks in order, and for each text whether it sits inside <details>."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # <details> nesting
        self.blocks: list[tuple[str, int]] = []  # (tag, details depth) of each opened element
        self.texts: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "details":
            self.depth += 1
        self.blocks.append((tag, self.depth))

    def handle_endtag(self, tag: str) -> None:
        if tag == "details":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.texts.append((data, self.depth))


def parse(markdown: str) -> tuple[str, Structure]:
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    structure = Structure()
    structure.feed(html)
    return html, structure


def caution_of(html: str) -> str:
    start = html.index("[!CAUTION]")
    return html[start:html.index("</blockquote>", start)]


ORPHANS = {"growth[prod]": ["queue/growth-old is tagged cmqinfra-stack=growth and declared nowhere"]}


def test_caution_comes_first_outside_every_details_and_lists_every_risk() -> None:
    text = render_project_markdown(risky_units(), provenance=WHEN, orphans=ORPHANS)
    html, structure = parse(text)
    # the heading, then the CAUTION block: before any <details>, at depth 0
    assert structure.blocks[0][0] == "h2"
    first_quote = next(i for i, (tag, _) in enumerate(structure.blocks) if tag == "blockquote")
    first_details = next(i for i, (tag, _) in enumerate(structure.blocks) if tag == "details")
    assert first_quote < first_details
    assert structure.blocks[first_quote][1] == 0
    assert [t for t, depth in structure.texts if "[!CAUTION]" in t and depth == 0]
    assert not [t for t, depth in structure.texts if "[!CAUTION]" in t and depth > 0]
    caution = caution_of(html)
    # every kind of risk, named with its unit
    assert "<code>payments[prod]</code>: <code>queue/old</code> will be <strong>deleted</strong>" in caution
    assert ("<code>topic/events</code> will be <strong>replaced</strong> "
            "(<code>filterType forces replacement") in caution
    assert ("<strong>data loss</strong> (approved in this plan): "
            "<code>queue/old will be deleted with 4") in caution
    assert "✗ <code>orders[prod]</code>: <strong>refused</strong>: <code>error: queue/shared" in caution
    assert "owned by stack billing" in caution or "billing" in caution
    assert "✗ <code>broken[prod]</code>: <strong>failed</strong>: <code>the manifests have errors</code>" \
        in caution
    assert "2 stack(s) refused or failed: nothing can be applied" in caution
    assert ("<code>growth[prod]</code>: <strong>orphan</strong>: <code>queue/growth-old is tagged "
            "cmqinfra-stack=growth and declared nowhere</code>") in caution
    # the head commit and the time
    assert "commit <code>0123456789ab</code>, 2026-12-06 19:00:00 UTC" in html.split("[!CAUTION]")[0]


def test_table_orders_units_by_risk_with_every_column_and_refusal_reasons() -> None:
    text = render_project_markdown(risky_units(), provenance=WHEN)
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert [r.split(" | ")[0] for r in rows] == ["| `broken[prod]`", "| `orders[prod]`", "| `payments[prod]`",
                                                 "| `growth[prod]`"]
    header = next(line for line in text.splitlines() if line.startswith("| stack"))
    assert header == ("| stack | region | add | change | replace | destroy | move | adopt | release "
                      "| status |")
    # payments: one change (drift set back), one replace, one destroy; not add + destroy for the replace
    assert rows[2].startswith("| `payments[prod]` | `ap-guangzhou` | 0 | 1 | 1 | 1 | 0 | 0 | 0 | changes |")
    assert "| ✗ **refused**: `error: queue/shared" in rows[1]
    assert rows[0].endswith("| ✗ **failed**: `the manifests have errors` |")
    # the units without changes: one line, no table row, no section
    assert "No changes (3): `audit[dev]`, `audit[prod]`, `search[dev]`" in text
    assert "<code>audit[dev]</code>" not in text


def test_ownership_changes_have_their_own_columns() -> None:
    def change(action: Action, name: str) -> ResourceChange:
        queue = Queue(name=name)
        return ResourceChange(f"queue/{name}", "queue", name, action, queue, queue, moved_from="old")

    plan = Plan(stack=Stack(name="platform"), region="ap-guangzhou", fingerprint="x",
                changes=(change(Action.MOVE, "a"), change(Action.MOVE_OUT, "b"),
                         change(Action.ADOPT, "c"), change(Action.IMPORT, "d"),
                         change(Action.RELEASE, "e"), change(Action.RELEASE, "f")))
    text = render_project_markdown([item("platform", "prod", plan), *risky_units()[:2]])
    assert "| `platform[prod]` | `ap-guangzhou` | 0 | 0 | 0 | 0 | 2 | 2 | 2 | changes |" in text


def test_drift_is_marked_changed_outside_cmqinfra_with_the_attribute() -> None:
    text = render_project_markdown(risky_units(), provenance=WHEN)
    html, structure = parse(text)
    assert ("<code>payments[prod]</code>: <code>queue/jobs</code> <code>visibilityTimeout</code> "
            "<strong>changed outside cmqinfra</strong>: live <code>90</code>, "
            "this plan sets <code>30</code>") in html
    # outside <details> too, and after CAUTION
    assert [t for t, depth in structure.texts if "changed outside cmqinfra" in t and depth == 0]
    assert html.index("[!WARNING]") > html.index("[!CAUTION]")
    # and in the diff itself
    assert "~       visibilityTimeout = 90 -> 30  # changed outside cmqinfra" in text
    # the replaced topic was not changed outside (the baseline had tag, live has tag)
    assert "filterType</code> <strong>changed outside" not in html


def test_a_cut_comment_keeps_summary_and_caution_and_names_the_full_plan() -> None:
    def bulk(i: int) -> UnitPlan:
        stack = Stack(name=f"bulk{i:02d}", region="ap-guangzhou",
                      queues=tuple(Queue(name=f"q{j:04d}") for j in range(400)))
        return item(f"bulk{i:02d}", "prod", make_plan(stack, LiveState(), region="ap-guangzhou"))

    big = [bulk(i) for i in range(12)]
    # 300 deletions: a CAUTION block of some 15,000 characters, kept whole all the same
    gone = LiveState(queues={f"old{i:03d}": live_queue(f"old{i:03d}", "gone") for i in range(300)})
    deletes = item("gone", "prod", make_plan(Stack(name="gone", region="ap-guangzhou"), gone,
                                             region="ap-guangzhou"))
    items = [*risky_units(), *big, deletes]
    whole = render_project_markdown(items, provenance=WHEN, limit=None)
    assert len(whole) > GITHUB_COMMENT_LIMIT
    text = render_project_markdown(items, provenance=WHEN, full_plan="cmqinfra-plan-full.md")
    assert len(text) <= GITHUB_COMMENT_LIMIT
    html, _ = parse(text)
    # summary and CAUTION exactly as in the uncut comment
    head = whole.split("> [!WARNING]")[0]
    assert text.startswith(head)
    assert caution_of(html) == caution_of(parse(whole)[0])
    line = "<code>gone[prod]</code>: <code>queue/old{:03d}</code> will be"
    listed = [i for i in range(300) if line.format(i) in html]
    assert len(listed) == 300
    assert "shortened to stay under GitHub's 65,536-character comment limit" in text
    assert "The full plan is in <code>cmqinfra-plan-full.md</code>" in html
    assert "18,041" not in text


def test_thousands_of_deletions_are_counted_past_the_limit_and_point_to_the_file() -> None:
    live = LiveState(queues={f"q{i:05d}": live_queue(f"q{i:05d}", "gone") for i in range(3000)})
    plan = make_plan(Stack(name="gone", region="ap-guangzhou"), live, region="ap-guangzhou")
    text = render_project_markdown([item("gone", "prod", plan)], full_plan="full.md")
    assert len(text) <= GITHUB_COMMENT_LIMIT
    html, structure = parse(text)
    caution = caution_of(html)
    assert "<code>queue/q00000</code> will be <strong>deleted</strong>" in caution
    assert "... and " in caution and "the full plan is in <code>full.md</code>" in caution


def test_an_optional_section_sits_after_the_table_and_goes_first_when_too_long() -> None:
    diagram = Section("Diagram", "```mermaid\ngraph LR\n  a --> b\n```")
    small = render_project_markdown(risky_units(), sections=[diagram])
    assert small.index("### Diagram") > small.index("| stack |")
    assert small.index("### Diagram") < small.index("<details>")
    huge = Section("Diagram", "```mermaid\n" + "x\n" * 40_000 + "```", dropped="> [!NOTE]\n> no room")
    cut = render_project_markdown(risky_units(), sections=[huge])
    assert "### Diagram" not in cut and len(cut) <= GITHUB_COMMENT_LIMIT
    assert "> [!NOTE]\n> no room" in cut
    # the units' plans stay whole when dropping the optional section was enough
    assert "shortened" not in cut


def test_one_stack_gets_the_same_layout() -> None:
    unit = risky_units()[2]
    assert unit.plan is not None
    text = render_markdown(unit.plan, provenance=WHEN)
    html, structure = parse(text)
    assert text.startswith("## cmqinfra plan for stack `payments` in `ap-guangzhou`\n\n"
                           "**Plan: 1 to add, 1 to change, 2 to destroy.**")
    caution = caution_of(html)
    assert "<code>queue/old</code> will be <strong>deleted</strong>" in caution
    assert "<code>topic/events</code> will be <strong>replaced</strong>" in caution
    assert "<strong>data loss</strong>" in caution
    assert html.index("[!CAUTION]") < html.index("<details>")
    assert "| `payments` | `ap-guangzhou` | 0 | 1 | 1 | 1 | 0 | 0 | 0 | changes |" in text


def test_untrusted_names_cannot_break_out_of_code_spans_cells_or_summary() -> None:
    evil = "x`|<img src=x onerror=alert(1)>"
    unit = StackUnit(stack_name=evil, environment="prod", paths=(), region="ap-guangzhou")
    items = [UnitPlan(unit, "ap-guangzhou", TARGET, error=f"bad {evil}"), *risky_units()[:3]]
    html, _ = parse(render_project_markdown(items))
    assert "<img" not in html
    rows = [line for line in render_project_markdown(items).splitlines() if line.startswith("| ``")]
    assert rows and all(r.count(" | ") == 9 for r in rows)
