"""Terraform -> cmqinfra on an account Terraform made: import, plan adopts only, apply, converged.

The account is seeded through the real SDK with exactly the requests the provider's Create
functions send (terraform-provider-tencentcloud, tencentcloud/services/tcmq/resource_tc_tcmq_*.go):
every integer and boolean argument, written or not (unwritten: the schema default, else 0 /
false), strings and sets only when written, and no tags.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml
from tencentcloud.tdmq.v20200217 import models

from cmqinfra.emulator import Emulator

sys.path.insert(0, str(Path(__file__).parents[1] / "gitops"))
from cli_helpers import run  # noqa: E402

FIXTURE = Path(__file__).parent / "fixtures" / "payments"
P = "payments-prod"

# The provider's Create, argument by argument (defaults from the resources' schemas).
QUEUE_INTS = {
    "MaxMsgHeapNum": 10_000_000,
    "PollingWaitSeconds": 0,
    "VisibilityTimeout": 30,
    "MaxMsgSize": 65536,
    "MsgRetentionSeconds": 3600,
    "RewindSeconds": 0,
    "Transaction": 0,
    "FirstQueryInterval": 0,
    "MaxQueryCount": 0,
    "Policy": 0,
    "MaxReceiveCount": 50,
    "MaxTimeToLive": 300,
    "RetentionSizeInMB": 0,
}
TOPIC_SENT = {"MaxMsgSize": 65536, "FilterType": 1, "MsgRetentionSeconds": 86400, "Trace": True}
SUBSCRIBE_SENT = {"NotifyStrategy": "EXPONENTIAL_DECAY_RETRY", "NotifyContentFormat": "JSON"}

# main.tf + terraform.tfvars evaluated by hand (env = "prod"), in the order terraform applies them.
WRITTEN: list[tuple[str, dict[str, Any]]] = [
    ("queue", {"QueueName": f"{P}-deadletter"}),
    (
        "queue",
        {
            "QueueName": f"{P}-orders",
            "MaxMsgHeapNum": 20_000_000,
            "PollingWaitSeconds": 10,
            "VisibilityTimeout": 60,
            "MaxMsgSize": 32768,
            "MsgRetentionSeconds": 7200,
            "RewindSeconds": 3600,
            "RetentionSizeInMB": 20480,
            "Trace": True,
            "DeadLetterQueueName": f"{P}-deadletter",
            "Policy": 0,
            "MaxReceiveCount": 5,
            "MaxTimeToLive": 600,
        },
    ),
    (
        "queue",
        {
            "QueueName": f"{P}-expiring",
            "DeadLetterQueueName": f"{P}-deadletter",
            "Policy": 1,
            "MaxTimeToLive": 1800,
        },
    ),
    ("queue", {"QueueName": f"{P}-ledger", "Transaction": 1, "FirstQueryInterval": 30, "MaxQueryCount": 10}),
    ("queue", {"QueueName": f"{P}-shard-0"}),
    ("queue", {"QueueName": f"{P}-shard-1"}),
    (
        "topic",
        {
            "TopicName": f"{P}-events",
            "FilterType": 2,
            "MaxMsgSize": 65536,
            "MsgRetentionSeconds": 43200,
            "Trace": False,
        },
    ),
    ("topic", {"TopicName": f"{P}-audit"}),
    (
        "subscribe",
        {
            "TopicName": f"{P}-events",
            "SubscriptionName": "billing",
            "Protocol": "queue",
            "Endpoint": f"{P}-orders",
            "NotifyStrategy": "BACKOFF_RETRY",
            "NotifyContentFormat": "SIMPLIFIED",
            "BindingKey": ["order.*.created", "order.#"],
        },
    ),
    (
        "subscribe",
        {
            "TopicName": f"{P}-audit",
            "SubscriptionName": "webhook",
            "Protocol": "http",
            "Endpoint": "https://hooks.example.com/prod/audit",
            "NotifyContentFormat": "JSON",
            "FilterTag": ["green", "blue"],
        },
    ),
]


def terraform_apply(client: Any, requests: list[tuple[str, dict[str, Any]]] = WRITTEN) -> None:
    for kind, written in requests:
        if kind == "queue":
            request, params = models.CreateCmqQueueRequest(), {**QUEUE_INTS, "Trace": False, **written}
            client.CreateCmqQueue(_fill(request, params))
        elif kind == "topic":
            request, params = models.CreateCmqTopicRequest(), {**TOPIC_SENT, **written}
            client.CreateCmqTopic(_fill(request, params))
        else:
            request, params = models.CreateCmqSubscribeRequest(), {**SUBSCRIBE_SENT, **written}
            client.CreateCmqSubscribe(_fill(request, params))


def _fill(request: Any, params: dict[str, Any]) -> Any:
    for key, value in params.items():
        setattr(request, key, value)
    return request


def test_import_adopts_everything_terraform_made_then_converges(
    tdmq_client: Any, emulator: Emulator, tmp_path: Path
) -> None:
    terraform_apply(tdmq_client)
    manifest = tmp_path / "payments.yaml"
    imported = run("import-terraform", str(FIXTURE), "--stack", "payments", "-o", str(manifest))
    assert imported.code == 0, imported.stderr
    # what it could not translate is said, at the line it was written
    assert (
        f"{FIXTURE}/main.tf:54:3: warning: tencentcloud_tcmq_queue.shard: count expanded" in imported.stderr
    )
    assert f"{FIXTURE}/main.tf:87:3: warning: tencentcloud_tcmq_subscribe.webhook: tags not translated" in (
        imported.stderr
    )
    doc = yaml.safe_load(manifest.read_text())
    assert doc["stack"] == "payments" and doc["region"] == "ap-guangzhou"
    assert len(doc["queues"]) == 6 and len(doc["topics"]) == 2
    assert run("validate", str(manifest)).code == 0

    plan = run("plan", str(manifest), "--endpoint", emulator.url, "--format", "json")
    assert plan.code == 0, plan.stderr
    changes = json.loads(plan.stdout)["resource_changes"]
    assert len(changes) == 10
    for change in changes:
        if change["type"] == "subscription":
            assert change["change"]["actions"] == ["no-op"], change
            continue
        assert change["change"].get("adopt") is True, change
        drift = [a for a in change["change"]["attribute_changes"] if "cmqinfra-" not in a["path"]]
        assert drift == [], (change["address"], drift)
    summary = json.loads(plan.stdout)["summary"]
    assert summary.get("adopt") == 8 and summary.get("add", 0) == 0, summary
    assert summary.get("change", 0) == 0 and summary.get("destroy", 0) == 0, summary

    applied = run("apply", str(manifest), "--endpoint", emulator.url, "--auto-approve")
    assert applied.code == 0, applied.stderr
    again = run("plan", str(manifest), "--endpoint", emulator.url, "--detailed-exitcode")
    assert again.code == 0, again.stdout + again.stderr
    assert "No changes." in again.stdout


def test_the_fixture_writes_every_argument_the_provider_documents() -> None:
    from cmqinfra.migrate.hclsource import parse_hcl
    from cmqinfra.migrate.provider import SCHEMAS

    parsed, problems = parse_hcl("main.tf", (FIXTURE / "main.tf").read_text())
    assert problems == [] and parsed is not None
    written: dict[str, set[str]] = {}
    for block in parsed.blocks:
        if block.type == "resource":
            written.setdefault(block.labels[0], set()).update(name for name, _ in block.attributes)
    for rtype, arguments in SCHEMAS.items():
        assert set(arguments) - written.get(rtype, set()) == set(), rtype


ESTATE = Path(__file__).parent / "fixtures" / "estate"
E = "estate-prod"

# fixtures/estate applied by Terraform with -var env=prod while acme's visibility_timeout was 120
# (the configuration says 90 since: the one change terraform plan would show as well).
ESTATE_WRITTEN: list[tuple[str, dict[str, Any]]] = [
    ("queue", {"QueueName": f"{E}-orders-deadletter"}),
    (
        "queue",
        {"QueueName": f"{E}-orders", "DeadLetterQueueName": f"{E}-orders-deadletter", "MaxReceiveCount": 8},
    ),
    ("queue", {"QueueName": f"{E}-partner-acme", "VisibilityTimeout": 120, "MsgRetentionSeconds": 14400}),
    ("queue", {"QueueName": f"{E}-partner-globex", "VisibilityTimeout": 60, "MsgRetentionSeconds": 14400}),
    ("queue", {"QueueName": f"{E}-shard-0"}),
    ("queue", {"QueueName": f"{E}-shard-1"}),
    ("topic", {"TopicName": f"{E}-events", "Trace": False}),
    ("topic", {"TopicName": f"{E}-audit", "Trace": False}),
    (
        "subscribe",
        {
            "TopicName": f"{E}-events",
            "SubscriptionName": "orders",
            "Protocol": "queue",
            "Endpoint": f"{E}-orders",
            "NotifyContentFormat": "SIMPLIFIED",
        },
    ),
]


def test_import_of_a_real_root_module_adopts_exactly_then_converges(
    tdmq_client: Any, emulator: Emulator, tmp_path: Path
) -> None:
    terraform_apply(tdmq_client, ESTATE_WRITTEN)
    manifest = tmp_path / "estate.yaml"
    # the aliased provider's queue is in another region: without --provider it is an error
    refused = run("import-terraform", str(ESTATE), "--var", "env=prod", "-o", str(manifest))
    assert refused.code == 1 and not manifest.exists()
    assert (
        f"{ESTATE}/main.tf:45:3: error: tencentcloud_tcmq_queue.replica uses provider tencentcloud.shanghai"
        in (refused.stderr)
    )
    imported = run(
        "import-terraform",
        str(ESTATE),
        "--var",
        "env=prod",
        "--provider",
        "tencentcloud",
        "--stack",
        "estate",
        "-o",
        str(manifest),
    )
    assert imported.code == 0, imported.stderr
    assert (
        f'{ESTATE}/main.tf:35:3: warning: tencentcloud_tcmq_queue.partner["acme"]: visibility_timeout is '
        "90 in the configuration but 120 in the state"
    ) in imported.stderr
    assert "module" not in imported.stderr and "dead-letter" not in imported.stderr, imported.stderr
    doc = yaml.safe_load(manifest.read_text())
    assert doc["region"] == "ap-guangzhou"
    # -var env beats terraform.tfvars; shards.auto.tfvars' count beats terraform.tfvars'
    assert sorted(doc["queues"]) == [
        f"{E}-orders",
        f"{E}-orders-deadletter",
        f"{E}-partner-acme",
        f"{E}-partner-globex",
        f"{E}-shard-0",
        f"{E}-shard-1",
    ]
    assert doc["queues"][f"{E}-orders"]["deadLetter"] == {
        "queue": f"{E}-orders-deadletter",
        "maxReceiveCount": 8,
    }
    assert doc["topics"][f"{E}-events"]["protect"] is True
    assert not doc["topics"][f"{E}-events"].get("trace") and not doc["topics"][f"{E}-audit"].get("trace")

    # without the state, the configuration alone gives the same manifest
    config_only = tmp_path / "config-only"
    shutil.copytree(ESTATE, config_only, ignore=shutil.ignore_patterns("*.tfstate"))
    again = tmp_path / "again.yaml"
    result = run(
        "import-terraform",
        str(config_only),
        "--var",
        "env=prod",
        "--provider",
        "tencentcloud",
        "--stack",
        "estate",
        "-o",
        str(again),
    )
    assert result.code == 0, result.stderr
    assert yaml.safe_load(again.read_text()) == doc

    plan = run("plan", str(manifest), "--endpoint", emulator.url, "--format", "json")
    assert plan.code == 0, plan.stderr
    body = json.loads(plan.stdout)
    changed = {}
    for change in body["resource_changes"]:
        if change["type"] == "subscription":
            assert change["change"]["actions"] == ["no-op"], change
            continue
        assert change["change"].get("adopt") is True, change
        paths = [a["path"] for a in change["change"]["attribute_changes"] if "cmqinfra-" not in a["path"]]
        if paths:
            changed[change["address"]] = paths
    # prevent_destroy is protection recorded with the adoption, not a change
    assert changed == {f"queue/{E}-partner-acme": ["visibilityTimeout"], f"topic/{E}-events": ["protect"]}
    assert body["summary"].get("adopt") == 8 and body["summary"].get("add", 0) == 0, body["summary"]
    assert body["summary"].get("change") == 1 and body["summary"].get("destroy", 0) == 0, body["summary"]

    applied = run("apply", str(manifest), "--endpoint", emulator.url, "--auto-approve")
    assert applied.code == 0, applied.stderr
    final = run("plan", str(manifest), "--endpoint", emulator.url, "--detailed-exitcode")
    assert final.code == 0, final.stdout + final.stderr
    assert "No changes." in final.stdout
