from __future__ import annotations

import json

import pytest

from cmqinfra.model import FilterType, Queue, Stack, Topic
from cmqinfra.plan.compute import make_plan
from cmqinfra.render import use_colour
from cmqinfra.render.json import plan_to_json
from cmqinfra.render.text import render_text
from tests.plan.builders import live


def mixed_plan():  # type: ignore[no-untyped-def]
    desired = Stack(
        name="s",
        region="ap-guangzhou",
        queues=(
            Queue("new", visibility_timeout=30),
            Queue("upd", visibility_timeout=60),
            Queue("mine", visibility_timeout=30),
        ),
        topics=(Topic("t", filter_type=FilterType.ROUTING_KEY),),
    )
    state = live(
        queues=[
            (Queue("upd", visibility_timeout=30), "s"),
            (Queue("mine", visibility_timeout=30), None),
            (Queue("gone"), "s"),
        ],
        topics=[(Topic("t"), "s")],
    )
    return make_plan(desired, state)


def test_text_shows_every_action_kind() -> None:
    text = render_text(mixed_plan())
    assert '  + queue "new"' in text
    assert '  ~ queue "upd"' in text and "visibilityTimeout = 30 -> 60" in text
    assert ' <= queue "mine"' in text and "adopted" in text
    assert '  - queue "gone"' in text
    assert '-/+ topic "t"' in text and '"tag" -> "routingKey"  # forces replacement' in text
    assert "(because filterType cannot be changed in place)" in text
    assert "Plan: 2 to add, 1 to change, 2 to destroy, 1 to adopt." in text
    assert "\x1b[" not in text


def test_text_no_changes() -> None:
    plan = make_plan(Stack(name="s", queues=(Queue("a"),)), live(queues=[(Queue("a"), "s")]))
    assert render_text(plan).strip() == "No changes. Live state matches the manifest (stack s, region none)."


def test_colour_only_when_asked() -> None:
    assert "\x1b[" in render_text(mixed_plan(), colour=True)


def test_no_color_env_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Tty())  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())  # type: ignore[arg-type]


def test_json_is_terraform_shaped() -> None:
    doc = json.loads(json.dumps(plan_to_json(mixed_plan())))
    assert doc["format_version"] == "1.0" and doc["stack"] == "s" and doc["region"] == "ap-guangzhou"
    by_addr = {rc["address"]: rc for rc in doc["resource_changes"]}
    assert by_addr["queue/new"]["change"]["actions"] == ["create"]
    assert by_addr["queue/new"]["change"]["before"] is None
    assert by_addr["queue/new"]["change"]["after"]["visibilityTimeout"] == 30
    assert by_addr["queue/upd"]["change"]["actions"] == ["update"]
    assert by_addr["queue/gone"]["change"]["actions"] == ["delete"]
    assert by_addr["topic/t"]["change"]["actions"] == ["delete", "create"]
    assert by_addr["topic/t"]["change"]["replace_paths"] == [["filterType"]]
    assert by_addr["queue/mine"]["change"]["actions"] == ["update"]
    assert by_addr["queue/mine"]["change"]["adopt"] is True
    assert by_addr["topic/t"]["type"] == "topic" and by_addr["topic/t"]["name"] == "t"
    assert doc["summary"] == {"add": 2, "change": 1, "destroy": 2, "adopt": 1}
