"""The example Rego policies (examples/policies/) evaluated on real plan JSON, as conftest runs
them in CI: `plan --format json --resource-types terraform` names types and arguments as the
Terraform provider does, so policies written for it apply to cmqinfra's plans."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from regopy import Interpreter

from cmqinfra.emulator import Emulator

sys.path.insert(0, str(Path(__file__).parents[1] / "gitops"))
from cli_helpers import run  # noqa: E402

POLICIES = Path(__file__).parents[2] / "examples" / "policies"

GOOD = """
stack: shop
queues:
  orders-dead: {}
  orders:
    deadLetter: {queue: orders-dead, maxReceiveCount: 5}
topics:
  events:
    subscriptions:
      hook: {protocol: http, endpoint: "https://hooks.example.com/shop"}
      copy: {protocol: queue, endpoint: orders}
"""

BAD = """
stack: shop
queues:
  orders-dead: {}
  orders:
    deadLetter: {queue: orders-dead, maxReceiveCount: 50}
  audit: {}
topics:
  events:
    subscriptions:
      hook: {protocol: http, endpoint: "http://hooks.example.com/shop"}
"""


def deny(plan: dict[str, Any]) -> list[str]:
    interpreter = Interpreter()
    for policy in sorted(POLICIES.glob("*.rego")):
        interpreter.add_module(policy.name, policy.read_text())
    interpreter.set_input_term(json.dumps(plan))
    result = json.loads(str(interpreter.query("data.main.deny")))
    return sorted(result["expressions"][0])


def plan_json(tmp_path: Path, emulator: Emulator, text: str, *extra: str) -> dict[str, Any]:
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(text.lstrip())
    result = run("plan", str(manifest), "--endpoint", emulator.url, "--format", "json", *extra)
    assert result.code == 0, result.stderr
    return json.loads(result.stdout)


def test_plan_json_has_the_providers_types_and_arguments(tmp_path: Path, emulator: Emulator) -> None:
    plan = plan_json(tmp_path, emulator, GOOD, "--resource-types", "terraform")
    by_address = {rc["address"]: rc for rc in plan["resource_changes"]}
    orders = by_address["queue/orders"]
    assert (orders["type"], orders["mode"], orders["cmqinfra_type"]) == (
        "tencentcloud_tcmq_queue",
        "managed",
        "queue",
    )
    assert orders["provider_name"] == "registry.terraform.io/tencentcloudstack/tencentcloud"
    after = orders["change"]["after"]
    assert (
        after["queue_name"],
        after["dead_letter_queue_name"],
        after["policy"],
        after["max_receive_count"],
    ) == ("orders", "orders-dead", 0, 5)
    hook = by_address["subscription/events/hook"]
    assert hook["type"] == "tencentcloud_tcmq_subscribe"
    assert (hook["change"]["after"]["topic_name"], hook["change"]["after"]["subscription_name"]) == (
        "events",
        "hook",
    )
    assert by_address["topic/events"]["change"]["after"]["filter_type"] == 1
    plain = plan_json(tmp_path, emulator, GOOD)
    assert {rc["type"] for rc in plain["resource_changes"]} == {"queue", "topic", "subscription"}
    refused = run(
        "plan", str(tmp_path / "shop.yaml"), "--endpoint", emulator.url, "--resource-types", "terraform"
    )
    assert refused.code == 2 and "--resource-types applies to --format json" in refused.stderr


def test_example_rego_policies_pass_a_good_plan_and_deny_a_bad_one(
    tmp_path: Path, emulator: Emulator
) -> None:
    assert deny(plan_json(tmp_path, emulator, GOOD, "--resource-types", "terraform")) == []
    assert deny(plan_json(tmp_path, emulator, BAD, "--resource-types", "terraform")) == [
        "queue/audit: a queue needs a dead-letter queue (dead_letter_queue_name)",
        "queue/orders: max_receive_count 50 is above 10",
        "subscription/events/hook: endpoint http://hooks.example.com/shop is not https",
    ]
    # without the flag the provider's policies see nothing they know: the flag is what makes them apply
    assert deny(plan_json(tmp_path, emulator, BAD)) == []


def test_example_rego_policy_denies_a_topic_replacement(tmp_path: Path, emulator: Emulator) -> None:
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(GOOD.lstrip())
    assert run("apply", str(manifest), "--endpoint", emulator.url, "--auto-approve").code == 0
    replaced = (
        GOOD.replace("  events:\n", "  events:\n    filterType: routingKey\n")
        .replace(
            "copy: {protocol: queue, endpoint: orders}",
            "copy: {protocol: queue, endpoint: orders, bindingKeys: [a]}",
        )
        .replace('hook: {protocol: http, endpoint: "https://hooks.example.com/shop"}', "")
    )
    assert deny(plan_json(tmp_path, emulator, replaced, "--resource-types", "terraform")) == [
        "topic/events: replacing a topic is not allowed"
    ]


@pytest.mark.parametrize("shape", ["stack", "project"])
def test_the_policies_read_a_project_plan_too(
    tmp_path: Path, emulator: Emulator, shape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shape == "stack":
        plan = plan_json(tmp_path, emulator, BAD, "--resource-types", "terraform")
    else:
        (tmp_path / "stacks" / "shop").mkdir(parents=True)
        (tmp_path / "stacks" / "shop" / "shop.yaml").write_text(BAD.lstrip())
        (tmp_path / "cmqinfra.yaml").write_text(
            f'version: 1\nenvironments:\n  dev: {{region: {emulator.region}, endpoint: "{emulator.url}"}}\n'
            "stacks:\n  shop: {path: stacks/shop}\n"
        )
        monkeypatch.chdir(tmp_path)
        result = run("plan", "--format", "json", "--resource-types", "terraform")
        assert result.code == 0, result.stderr
        plan = json.loads(result.stdout)
        assert "units" in plan
    assert len(deny(plan)) == 3


def test_a_saved_plan_shown_with_terraform_types_gives_the_same_verdict(
    tmp_path: Path, emulator: Emulator
) -> None:
    manifest = tmp_path / "shop.yaml"
    manifest.write_text(BAD.lstrip())
    saved = tmp_path / "shop.plan"
    result = run("plan", str(manifest), "--endpoint", emulator.url, "--out", str(saved))
    assert result.code == 0, result.stderr
    shown = run("show", str(saved), "--format", "json", "--resource-types", "terraform")
    assert shown.code == 0, shown.stderr
    assert len(deny(json.loads(shown.stdout))) == 3
