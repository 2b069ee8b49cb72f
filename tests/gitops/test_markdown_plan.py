"""``render_markdown`` on real Plan values: creates, updates, replaces, deletes, refusals."""

from __future__ import annotations

from cmqinfra.diagnostics import Diagnostic, Severity
from cmqinfra.model import FilterType, Queue, Stack, Topic
from cmqinfra.plan.values import Action, AttributeChange, Plan, ResourceChange
from cmqinfra.render.markdown import comment_for, compose, summary_line


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
    assert "[!CAUTION]" not in compose(comment_for(plan, ""))


def test_caution_names_each_deleted_or_replaced_resource_with_the_forcing_attribute() -> None:
    text = compose(comment_for(mixed_plan(), "  + queue/fresh"))
    assert text.startswith("### cmqinfra plan for stack `shop` in `ap-shanghai`\n")
    assert "**Plan: 2 to add, 1 to change, 2 to destroy.**" in text
    assert "> - `topic/events` will be **replaced** (filterType forces replacement)" in text
    assert "> - `queue/old` will be **deleted**" in text
    assert "queue/fresh` will" not in text and "queue/tuned` will" not in text


def test_refusals_and_warnings_are_shown_above_the_diff() -> None:
    plan = mixed_plan(
        errors=(Diagnostic("queue/old holds 3 messages; use --allow-data-loss"),),
        warnings=(Diagnostic("2 untagged queues are not managed by this stack", severity=Severity.WARNING),),
    )
    text = compose(comment_for(plan, "  - queue/old"))
    head = text.split("<details>")[0]
    assert "> This plan was **refused** and cannot be applied:" in head
    assert "> - `error: queue/old holds 3 messages; use --allow-data-loss`" in head
    assert "> - `warning: 2 untagged queues are not managed by this stack`" in head
