"""plan / apply / destroy end to end: the CLI, the real SDK over HTTP, the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tencentcloud.tdmq.v20200217 import models

from cmqinfra.cli import cli
from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator, Faults

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples").glob("*.yaml") if ".cmqtest." not in p.name)


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", DEFAULT_SECRET_ID)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", DEFAULT_SECRET_KEY)
    monkeypatch.delenv("TENCENTCLOUD_REGION", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


class Cli:
    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def __call__(self, *args: str) -> tuple[int, str]:
        argv = [*args, "--endpoint", self.emu.url, "--region", self.emu.region]
        result = CliRunner().invoke(cli, argv, catch_exceptions=False)
        return result.exit_code, result.output


@pytest.fixture
def run(emulator: Emulator) -> Cli:
    return Cli(emulator)


def manifest(tmp_path: Path, text: str, name: str = "stack.yaml") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def queue_names(client) -> set[str]:  # type: ignore[no-untyped-def]
    req = models.DescribeCmqQueuesRequest()
    req.Limit = 50
    return {q.QueueName for q in client.DescribeCmqQueues(req).QueueList or []}


def topic_names(client) -> set[str]:  # type: ignore[no-untyped-def]
    req = models.DescribeCmqTopicsRequest()
    req.Limit = 50
    return {t.TopicName for t in client.DescribeCmqTopics(req).TopicList or []}


def create_queue(client, name: str, **attrs: object) -> None:  # type: ignore[no-untyped-def]
    req = models.CreateCmqQueueRequest()
    req.QueueName = name
    for k, v in attrs.items():
        setattr(req, k, v)
    client.CreateCmqQueue(req)


def plan_json(run: Cli, path: str) -> dict[str, dict[str, object]]:
    code, out = run("plan", path, "--format", "json")
    assert code == 0, out
    doc = json.loads(out)
    return {rc["address"]: rc["change"] for rc in doc["resource_changes"]}


BASE = textwrap.dedent(
    """\
    stack: e2e
    queues:
      orders-dead: {}
      orders:
        visibilityTimeout: 60
        deadLetter: {queue: orders-dead, maxReceiveCount: 3}
        tags: {team: payments}
      spare: {}
    topics:
      events:
        filterType: routingKey
        subscriptions:
          billing:
            protocol: queue
            endpoint: orders
            bindingKeys: ["order.#"]
"""
)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_applies_converges_and_destroys_exactly(
    run: Cli, tdmq_client, example: Path, tmp_path: Path
) -> None:
    create_queue(tdmq_client, "bystander")
    code, out = run("apply", str(example), "--auto-approve")
    assert code == 0, out
    code, out = run("plan", str(example), "--detailed-exitcode")
    assert code == 0, out
    assert "No changes." in out
    text = example.read_text(encoding="utf-8")
    if "protect: true" in text:
        code, out = run("destroy", str(example), "--auto-approve")
        assert code == 1 and "is protected" in out
        example = Path(manifest(tmp_path, text.replace("protect: true", "protect: false"), example.name))
        assert run("apply", str(example), "--auto-approve")[0] == 0
    code, out = run("destroy", str(example), "--auto-approve")
    assert code == 0, out
    assert queue_names(tdmq_client) == {"bystander"} and topic_names(tdmq_client) == set()


def test_every_action_kind(run: Cli, tdmq_client, tmp_path: Path) -> None:
    path = manifest(tmp_path, BASE)
    code, out = run("plan", path, "--detailed-exitcode")
    assert code == 2 and "Plan: 5 to add, 0 to change, 0 to destroy." in out, out
    assert run("apply", path, "--auto-approve")[0] == 0
    create_queue(tdmq_client, "adoptee", VisibilityTimeout=99)  # untagged, made by someone else
    manifest(
        tmp_path,
        BASE.replace("visibilityTimeout: 60", "visibilityTimeout: 90")
        .replace("filterType: routingKey", "filterType: tag")
        .replace('bindingKeys: ["order.#"]', 'filterTags: ["order"]')
        .replace("  spare: {}\n", "  adoptee: {visibilityTimeout: 30}\n  fresh: {}\n"),
    )
    changes = plan_json(run, path)
    assert changes["queue/orders"]["actions"] == ["update"]
    assert changes["queue/orders-dead"]["actions"] == ["no-op"]
    assert changes["queue/spare"]["actions"] == ["delete"]
    assert changes["queue/fresh"]["actions"] == ["create"]
    assert changes["queue/adoptee"]["actions"] == ["update"] and changes["queue/adoptee"]["adopt"] is True
    assert changes["topic/events"]["actions"] == ["delete", "create"]
    assert changes["topic/events"]["replace_paths"] == [["filterType"]]
    assert changes["subscription/events/billing"]["actions"] == ["delete", "create"]
    code, out = run("plan", path)
    assert '-/+ topic "events"' in out and "# forces replacement" in out and '<= queue "adoptee"' in out
    code, out = run("apply", path, "--auto-approve")
    assert code == 0, out
    assert run("plan", path, "--detailed-exitcode")[0] == 0
    assert "spare" not in queue_names(tdmq_client)


def test_protect_survives_removal_from_the_manifest(run: Cli, tmp_path: Path) -> None:
    path = manifest(tmp_path, BASE.replace("  spare: {}", "  spare: {protect: true}"))
    assert run("apply", path, "--auto-approve")[0] == 0
    manifest(tmp_path, BASE.replace("  spare: {}\n", ""))
    code, out = run("apply", path, "--auto-approve")
    assert code == 1 and "queue/spare is protected" in out
    manifest(tmp_path, BASE.replace("  spare: {}", "  spare: {protect: false}"))
    assert run("apply", path, "--auto-approve")[0] == 0
    manifest(tmp_path, BASE.replace("  spare: {}\n", ""))
    code, out = run("apply", path, "--auto-approve")
    assert code == 0 and "queue/spare: deleted" in out


def test_queue_with_messages_needs_allow_data_loss(run: Cli, tdmq_client, tmp_path: Path) -> None:
    path = manifest(tmp_path, BASE)
    assert run("apply", path, "--auto-approve")[0] == 0
    req = models.SendCmqMsgRequest()
    req.QueueName, req.MsgContent, req.DelaySeconds = "spare", "hello", 0
    tdmq_client.SendCmqMsg(req)
    manifest(tmp_path, BASE.replace("  spare: {}\n", ""))
    code, out = run("apply", path, "--auto-approve")
    assert code == 1 and "holds 1 message" in out and "spare" in queue_names(tdmq_client)
    code, out = run("apply", path, "--auto-approve", "--allow-data-loss")
    assert code == 0 and "spare" not in queue_names(tdmq_client)


def test_queue_used_outside_the_plan_is_not_deleted(run: Cli, tdmq_client, tmp_path: Path) -> None:
    path = manifest(tmp_path, BASE)
    assert run("apply", path, "--auto-approve")[0] == 0
    create_queue(tdmq_client, "outsider", DeadLetterQueueName="spare", Policy=0, MaxReceiveCount=2)
    manifest(tmp_path, BASE.replace("  spare: {}\n", ""))
    code, out = run("plan", path)
    assert code == 1 and "queue/outsider" in out


def test_missing_dead_letter_names_the_manifest_line(run: Cli, tmp_path: Path) -> None:
    path = manifest(tmp_path, BASE.replace("queue: orders-dead,", "queue: nowhere,"))
    code, out = run("plan", path)
    assert code == 1 and f"{path}:" in out and "nowhere" in out


def test_other_stacks_resource_is_an_error(run: Cli, tmp_path: Path) -> None:
    other = manifest(tmp_path, "stack: other\nqueues:\n  spare: {}\n", "other.yaml")
    assert run("apply", other, "--auto-approve")[0] == 0
    code, out = run("plan", manifest(tmp_path, BASE))
    assert code == 1 and "owned by stack 'other'" in out


def test_stale_saved_plan_is_refused(run: Cli, tdmq_client, tmp_path: Path) -> None:
    path = manifest(tmp_path, BASE)
    saved = str(tmp_path / "plan.json")
    assert run("plan", path, "--out", saved)[0] == 0
    create_queue(tdmq_client, "orders-dead")  # someone else got there first
    code, out = run("apply", "--plan", saved)
    assert code == 1 and "stale" in out
    assert queue_names(tdmq_client) == {"orders-dead"}
    assert run("plan", path, "--out", saved)[0] == 0
    code, out = run("apply", "--plan", saved)
    assert code == 0, out
    assert run("plan", path, "--detailed-exitcode")[0] == 0


def test_drift_from_another_client_is_detected_and_fixed(run: Cli, tdmq_client, tmp_path: Path) -> None:
    path = manifest(tmp_path, BASE)
    assert run("apply", path, "--auto-approve")[0] == 0
    req = models.ModifyCmqQueueAttributeRequest()
    req.QueueName, req.VisibilityTimeout = "orders", 5
    tdmq_client.ModifyCmqQueueAttribute(req)
    delete = models.DeleteCmqQueueRequest()
    delete.QueueName = "spare"
    tdmq_client.DeleteCmqQueue(delete)
    sub = models.CreateCmqSubscribeRequest()
    sub.TopicName, sub.SubscriptionName, sub.Protocol, sub.Endpoint = "events", "intruder", "queue", "orders"
    sub.NotifyContentFormat, sub.BindingKey = "SIMPLIFIED", ["x"]
    tdmq_client.CreateCmqSubscribe(sub)
    changes = plan_json(run, path)
    assert changes["queue/orders"]["actions"] == ["update"]
    assert changes["queue/spare"]["actions"] == ["create"]
    assert changes["subscription/events/intruder"]["actions"] == ["delete"]
    assert run("apply", path, "--auto-approve")[0] == 0
    assert run("plan", path, "--detailed-exitcode")[0] == 0


def test_failed_apply_reports_and_a_rerun_converges(run: Cli, emulator: Emulator, tmp_path: Path) -> None:
    path = manifest(tmp_path, BASE)
    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({"CreateCmqSubscribe"}))
    code, out = run("apply", path, "--auto-approve")
    assert code == 1 and "subscription/events/billing: FAILED" in out and "queue/orders: created" in out
    emulator.faults = Faults()
    code, out = run("apply", path, "--auto-approve")
    assert code == 0 and "subscription/events/billing: created" in out
    assert run("plan", path, "--detailed-exitcode")[0] == 0


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "stack.yaml").write_text(textwrap.dedent(BASE), encoding="utf-8")
    yield tmp_path


def test_local_mode_converges_across_two_runs(workdir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD")}
    env["NO_COLOR"] = "1"

    def cmd(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cmqinfra", *args],
            cwd=workdir,
            env=env,
            text=True,
            capture_output=True,
            timeout=120,
        )

    first = cmd("apply", "stack.yaml", "--local", "--auto-approve")
    assert first.returncode == 0, first.stderr + first.stdout
    second = cmd("plan", "stack.yaml", "--local", "--detailed-exitcode")
    assert second.returncode == 0, second.stderr + second.stdout
    assert (workdir / ".cmqinfra").is_dir()


def test_saved_plan_from_another_version_is_refused(run: Cli, tdmq_client, tmp_path: Path) -> None:
    path = manifest(tmp_path, BASE)
    saved = tmp_path / "plan.json"
    assert run("plan", path, "--out", str(saved))[0] == 0
    doc = json.loads(saved.read_text())
    doc["cmqinfra_version"] = "0.0.1"
    doc.pop("cmqinfra_seal")  # an edit breaks the seal: an unsealed file reaches the version check
    saved.write_text(json.dumps(doc))
    code, out = run("apply", "--plan", str(saved))
    assert code == 1 and "made by cmqinfra 0.0.1" in out and "run plan again" in out
    assert queue_names(tdmq_client) == set()
