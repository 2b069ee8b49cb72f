"""``render_markdown`` on real Plan values: creates, updates, replaces, deletes, refusals."""

from __future__ import annotations

from cmqinfra.diagnostics import Diagnostic, Severity
from cmqinfra.model import FilterType, Queue, Stack, Topic
from cmqinfra.plan.values import Action, AttributeChange, Plan, ResourceChange
from cmqinfra.render.markdown import render_markdown, summary_line


def change(action: Action, resource: Queue | Topic, *attrs: AttributeChange) -> ResourceChange:
    kind = "queue" if isinstance(resource, Queue) else "topic"
    before = None if action is Action.CREATE else resource
    after = None if action is Action.DELETE else resource
    return ResourceChange(f"{kind}/{resource.name}", kind, resource.name, action, before, after, attrs)


def mixed_plan(**extra: object) -> Plan:
    return Plan(
        stack=Stack(name="shop"),
        region="ap-shanghai",
        changes=(
            change(Action.CREATE, Queue(name="fresh")),
            change(Action.UPDATE, Queue(name="tuned"), AttributeChange("visibilityTimeout", 30, 60)),
            change(Action.REPLACE, Topic(name="events", filter_type=FilterType.ROUTING_KEY),
                   AttributeChange("filterType", "tag", "routingKey", forces_replacement=True)),
            change(Action.DELETE, Queue(name="old")),
            change(Action.NO_OP, Queue(name="same")),
        ),
        fingerprint="abc",
        **extra,  # type: ignore[arg-type]
    )


def test_summary_counts_a_replacement_as_add_and_destroy() -> None:
    assert summary_line(mixed_plan()) == "Plan: 2 to add, 1 to change, 2 to destroy."


def test_no_changes_line() -> None:
    plan = Plan(stack=Stack(name="shop"), region=None, changes=(), fingerprint="x")
    assert summary_line(plan) == "No changes. Live state matches the manifest."
    assert "[!CAUTION]" not in render_markdown(plan)


def test_caution_names_each_deleted_or_replaced_resource_with_the_forcing_attribute() -> None:
    text = render_markdown(mixed_plan())
    assert text.startswith("## cmqinfra plan for stack `shop` in `ap-shanghai`\n")
    assert "**Plan: 2 to add, 1 to change, 2 to destroy.**" in text
    assert "> - `topic/events` will be **replaced** (`filterType forces replacement`)" in text
    assert "> - `queue/old` will be **deleted**" in text
    assert "queue/fresh` will" not in text and "queue/tuned` will" not in text


def test_refusals_and_warnings_are_shown_above_the_diff() -> None:
    plan = mixed_plan(
        errors=(Diagnostic("queue/old holds 3 messages; use --allow-data-loss"),),
        warnings=(Diagnostic("2 untagged queues are not managed by this stack", severity=Severity.WARNING),),
    )
    text = render_markdown(plan)
    head, details = text.split("<details>")
    assert head.startswith("## :x: cmqinfra plan for stack `shop`") and "refused" in head.splitlines()[0]
    assert "**1 stack(s) refused or failed: nothing can be applied.**" in head
    assert "> - ✗ **refused**: `error: queue/old holds 3 messages; use --allow-data-loss`" in head
    assert "No changes" not in head
    assert "(had it been accepted: Plan: 2 to add, 1 to change, 2 to destroy.)" in details
    assert "> - `warning: 2 untagged queues are not managed by this stack`" in details


def computed_plan() -> Plan:
    """A plan the real planner computes: one create, update, replacement and delete each."""
    from cmqinfra.live import LiveQueue, LiveState, LiveTopic
    from cmqinfra.plan.compute import make_plan

    desired = Stack(
        name="shop",
        region="ap-guangzhou",
        queues=(Queue(name="fresh", visibility_timeout=30), Queue(name="tuned", visibility_timeout=90)),
        topics=(Topic(name="events", filter_type=FilterType.ROUTING_KEY),),
    )
    live = LiveState(
        queues={
            "tuned": LiveQueue(Queue(name="tuned", visibility_timeout=30), "q1", "shop", False),
            "old": LiveQueue(Queue(name="old", visibility_timeout=30), "q2", "shop", False),
        },
        topics={"events": LiveTopic(Topic(name="events", filter_type=FilterType.TAG), "t1", "shop", False)},
    )
    return make_plan(desired, live, region="ap-guangzhou")


def test_markdown_of_a_computed_plan_with_every_destructive_kind() -> None:
    from cmqinfra.render.markdown import render_markdown
    from cmqinfra.render.text import render_text

    plan = computed_plan()
    actions = {c.address: c.action for c in plan.changes if c.is_change}
    assert actions == {"queue/fresh": Action.CREATE, "queue/tuned": Action.UPDATE,
                       "topic/events": Action.REPLACE, "queue/old": Action.DELETE}
    text = render_markdown(plan)
    assert text.startswith("## cmqinfra plan for stack `shop` in `ap-guangzhou`\n")
    assert f"**{summary_line(plan)}**" in text and "1 to change" in text
    assert "> - `topic/events` will be **replaced** (`filterType forces replacement`)" in text
    assert "> - `queue/old` will be **deleted**" in text
    assert "`queue/fresh` will" not in text and "`queue/tuned` will" not in text
    body = text.split("```diff\n", 1)[1].split("\n```", 1)[0]
    plain = render_text(plan, colour=False)
    assert "\x1b[" not in body
    # the diff is the text plan, line for line, with each marker moved to column 0
    assert len(body.splitlines()) == len(plain.splitlines())
    assert {line[0] for line in body.splitlines() if line.strip()} >= {"+", "-", "~"}
    assert any(line.startswith("-/+") for line in body.splitlines())


def test_computed_plan_truncated_under_a_small_limit() -> None:
    from cmqinfra.render.markdown import render_markdown

    text = render_markdown(computed_plan(), limit=900)
    assert len(text) <= 900
    assert "> - `queue/old` will be **deleted**" in text
    assert "shortened to stay under GitHub's 65,536-character comment limit" in text
