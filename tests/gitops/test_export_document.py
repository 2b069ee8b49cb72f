"""Export's pure part: which live resources a manifest takes, and how it writes them."""

from __future__ import annotations

from pathlib import Path

import yaml

from cmqinfra.export.defaults import Defaults, schema_defaults
from cmqinfra.export.document import build_document, render_yaml, select
from cmqinfra.live import LiveQueue, LiveState, LiveSubscription, LiveTopic
from cmqinfra.model import (
    DeadLetter,
    FilterType,
    NotifyStrategy,
    Protocol,
    Queue,
    Subscription,
    Topic,
    Transaction,
    tags_of,
)

SCHEMA = {
    "$defs": {
        "queue": {"type": "object", "properties": {
            "visibilityTimeout": {"type": "integer", "default": 30},
            "maxMsgSize": {"type": "integer"},
            "trace": {"$ref": "#/$defs/flag"},
        }},
        "flag": {"type": "boolean", "default": False},
        "topic": {"type": "object", "properties": {
            "filterType": {"enum": ["tag", "routingKey"], "default": "tag"},
            "subscriptions": {"type": "object", "patternProperties": {"^.*$": {"$ref": "#/$defs/sub"}}},
        }},
        "sub": {"type": "object", "properties": {
            "notifyStrategy": {"enum": ["BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY"],
                               "default": "EXPONENTIAL_DECAY_RETRY"},
        }},
    },
    "properties": {
        "queues": {"type": "object", "additionalProperties": {"$ref": "#/$defs/queue"}},
        "topics": {"type": "object", "additionalProperties": {"$ref": "#/$defs/topic"}},
    },
}


def test_defaults_come_from_the_schema_default_keywords_through_refs() -> None:
    defaults = schema_defaults(SCHEMA)
    assert defaults.queue == {"visibilityTimeout": 30, "trace": False}
    assert defaults.topic == {"filterType": "tag"}
    assert defaults.subscription == {"notifyStrategy": "EXPONENTIAL_DECAY_RETRY"}


def live_state() -> LiveState:
    return LiveState(
        queues={
            "orders": LiveQueue(
                Queue(name="orders", visibility_timeout=30, max_msg_size=65536, trace=False,
                      dead_letter=DeadLetter("orders-dl", max_receive_count=3),
                      transaction=Transaction(first_query_interval=10, max_query_count=5),
                      tags=tags_of({"team": "pay"}), protect=True),
                "cmqq-1", "shop", True),
            "orders-dl": LiveQueue(Queue(name="orders-dl", visibility_timeout=30), "cmqq-2", None, False),
            "theirs": LiveQueue(Queue(name="theirs"), "cmqq-3", "other", False),
        },
        topics={
            "events": LiveTopic(
                Topic(name="events", filter_type=FilterType.ROUTING_KEY), "cmqt-1", "shop", False
            ),
            "news": LiveTopic(Topic(name="news"), "cmqt-2", None, False),
        },
        subscriptions={
            ("events", "billing"): LiveSubscription(
                Subscription("events", "billing", Protocol.QUEUE, "orders",
                             notify_strategy=NotifyStrategy.EXPONENTIAL_DECAY_RETRY,
                             binding_keys=("order.*.created", "#")), "subsc-1"),
            ("news", "hook"): LiveSubscription(
                Subscription("news", "hook", Protocol.HTTP, "https://h.example.com/x",
                             notify_strategy=NotifyStrategy.BACKOFF_RETRY, filter_tags=("a",)), "subsc-2"),
        },
    )


def test_stack_selection_takes_only_the_stacks_resources() -> None:
    sel = select(live_state(), "shop", include_unowned=False, region=None)
    assert [q.queue.name for q in sel.queues] == ["orders"]
    assert [t.topic.name for t in sel.topics] == ["events"]
    assert [s.subscription.name for s in sel.subscriptions] == ["billing"]
    assert sel.skipped_foreign == 1


def test_all_adds_unowned_resources_never_foreign_ones() -> None:
    sel = select(live_state(), None, include_unowned=True, region="ap-guangzhou")
    assert sel.stack == "imported"
    assert [q.queue.name for q in sel.queues] == ["orders-dl"]
    assert [t.topic.name for t in sel.topics] == ["news"]
    assert sel.skipped_foreign == 3


def test_document_omits_defaults_and_keeps_everything_else() -> None:
    sel = select(live_state(), "shop", include_unowned=True, region="ap-guangzhou")
    text = render_yaml(build_document(sel, schema_defaults(SCHEMA)), "schema.json")
    assert text.startswith("# yaml-language-server: $schema=schema.json\n")
    doc = yaml.safe_load(text)
    assert doc == {
        "stack": "shop",
        "region": "ap-guangzhou",
        "queues": {
            "orders": {
                "maxMsgSize": 65536,
                "transaction": {"firstQueryInterval": 10, "maxQueryCount": 5},
                "deadLetter": {"queue": "orders-dl", "maxReceiveCount": 3},
                "tags": {"team": "pay"},
                "protect": True,
            },
            "orders-dl": {},
        },
        "topics": {
            "events": {
                "filterType": "routingKey",
                "subscriptions": {
                    "billing": {"protocol": "queue", "endpoint": "orders",
                                "bindingKeys": ["order.*.created", "#"]},
                },
            },
            "news": {
                "subscriptions": {
                    "hook": {"protocol": "http", "endpoint": "https://h.example.com/x",
                             "notifyStrategy": "BACKOFF_RETRY", "filterTags": ["a"]},
                },
            },
        },
    }


def test_without_schema_defaults_every_managed_attribute_is_written() -> None:
    sel = select(live_state(), "shop", include_unowned=False, region=None)
    doc = build_document(sel, Defaults())
    assert doc["queues"]["orders"]["visibilityTimeout"] == 30  # type: ignore[index]
    assert "region" not in doc


def test_schema_comment_points_at_a_vendored_schema_above_the_output(tmp_path: Path) -> None:
    from cmqinfra.export.run import schema_ref

    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "manifest.schema.json").write_text("{}")
    (tmp_path / "infra" / "prod").mkdir(parents=True)
    assert schema_ref(tmp_path / "infra" / "prod" / "shop.yaml") == "../../schemas/manifest.schema.json"


def test_schema_comment_falls_back_to_the_schema_id(tmp_path: Path) -> None:
    from cmqinfra.export.run import schema_ref
    from cmqinfra.manifest.schema import manifest_schema

    assert schema_ref(tmp_path / "shop.yaml") == manifest_schema()["$id"]
