"""``cmqinfra route`` from a manifest file: output, JSON, and one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from cli_helpers import run  # noqa: E402

MANIFEST = """\
stack: shop
queues:
  billing: {}
  audit: {}
topics:
  order-events:
    filterType: routingKey
    subscriptions:
      billing:
        protocol: queue
        endpoint: billing
        bindingKeys: ["order.*.created"]
      audit:
        protocol: queue
        endpoint: audit
        bindingKeys: ["order.#"]
  news:
    subscriptions:
      sport:
        protocol: http
        endpoint: https://hooks.example.com/sport
        filterTags: [sport]
      all:
        protocol: queue
        endpoint: audit
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(MANIFEST)
    return path


def test_text_names_receivers_and_explains_the_rest(manifest: Path) -> None:
    out = run("route", str(manifest), "order-events", "--routing-key", "order.eu.paid.created")
    assert out.code == 0, out.stderr
    assert "receives subscription/order-events/audit -> queue audit" in out.stdout
    assert ('binding key "order.*.created" does not match "order.eu.paid.created": '
            '"*" matches exactly one word') in out.stdout
    assert "1 of 2 subscriptions receive the message." in out.stdout
    assert "Delivered to: queue audit" in out.stdout


def test_json_for_scripts(manifest: Path) -> None:
    out = run("route", str(manifest), "news", "--tag", "sport", "--tag", "x", "--format", "json")
    assert out.code == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["filterType"] == "tag"
    assert data["message"] == {"routingKey": None, "tags": ["sport", "x"]}
    assert {s["name"]: s["receives"] for s in data["subscriptions"]} == {"sport": True, "all": True}
    assert sorted(data["deliveries"], key=lambda d: d["protocol"]) == [
        {"protocol": "http", "endpoint": "https://hooks.example.com/sport"},
        {"protocol": "queue", "endpoint": "audit"},
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], 'error: topic "nope" is not declared in the manifest'),
        (["news", "--routing-key", "a.b"], 'error: topic "news" filters by tag: use --tag'),
        (["order-events", "--tag", "a"], 'error: topic "order-events" filters by routing key'),
    ],
)
def test_wrong_questions_are_one_line_exit_1(manifest: Path, args: list[str], message: str) -> None:
    out = run("route", str(manifest), *args)
    assert out.code == 1
    assert out.stderr.startswith(message)
    assert out.stderr.count("\n") == 1
    assert out.stdout == ""


def test_invalid_manifest_prints_diagnostics_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack: shop\nqueues:\n  q:\n    visibilityTimeout: 999999\n")
    out = run("route", str(bad), "t")
    assert out.code == 1
    assert "bad.yaml:4" in out.stderr and "visibilityTimeout" in out.stderr
