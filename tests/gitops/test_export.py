"""``cmqinfra export`` against the emulator, through the real SDK over HTTP."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from tencentcloud.tdmq.v20200217 import models

from cmqinfra.cli import cli
from cmqinfra.emulator import Emulator

sys.path.insert(0, str(Path(__file__).parent))
from brownfield import QUEUES, SUBS_PER_TOPIC, TOPICS, make_brownfield  # noqa: E402


def export(emulator: Emulator, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["export", "--endpoint", emulator.endpoint, *args])
    return result.exit_code, result.stdout, result.stderr


def tag(key: str, value: str) -> models.Tag:
    t = models.Tag()
    t.TagKey, t.TagValue = key, value
    return t


def create_queue(client: Any, name: str, *tags: models.Tag) -> None:
    req = models.CreateCmqQueueRequest()
    req.QueueName = name
    if tags:
        req.Tags = list(tags)
    client.CreateCmqQueue(req)


def test_all_exports_the_whole_brownfield_account(tdmq_client: Any) -> None:
    make_brownfield(tdmq_client)
    endpoint = tdmq_client.profile.httpProfile.endpoint
    result = CliRunner().invoke(cli, ["export", "--all", "--endpoint", endpoint])
    assert result.exit_code == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["stack"] == "imported"
    assert len(doc["queues"]) == QUEUES
    assert len(doc["topics"]) == TOPICS
    assert sum(len(t.get("subscriptions", {})) for t in doc["topics"].values()) == TOPICS * SUBS_PER_TOPIC
    assert doc["queues"]["legacy-q06"]["deadLetter"] == {"queue": "legacy-q05", "maxReceiveCount": 5}
    assert doc["queues"]["legacy-q07"]["deadLetter"] == {"queue": "legacy-q05", "maxTimeToLive": 600}
    assert doc["queues"]["legacy-q04"]["tags"] == {"team": "t1"}
    assert doc["queues"]["legacy-q03"]["visibilityTimeout"] == 63
    assert doc["topics"]["legacy-t00"]["filterType"] == "routingKey"
    sub = doc["topics"]["legacy-t00"]["subscriptions"]["sub-0"]
    assert sub["bindingKeys"] == ["order.*.t0", "audit.#"] and sub["endpoint"] == "legacy-q00"
    hook = doc["topics"]["legacy-t01"]["subscriptions"]["sub-2"]
    assert hook["protocol"] == "http" and hook["notifyStrategy"] == "BACKOFF_RETRY"
    assert doc["topics"]["legacy-t01"]["subscriptions"]["sub-0"]["filterTags"] == ["blue", "t1"]


def test_stack_exports_only_its_own_resources_without_ownership_tags(
    tdmq_client: Any, tmp_path: Path
) -> None:
    create_queue(tdmq_client, "mine", tag("cmqinfra-stack", "shop"), tag("team", "pay"))
    create_queue(tdmq_client, "guarded", tag("cmqinfra-stack", "shop"), tag("cmqinfra-protect", "true"))
    create_queue(tdmq_client, "theirs", tag("cmqinfra-stack", "other"))
    create_queue(tdmq_client, "loose")
    endpoint = tdmq_client.profile.httpProfile.endpoint
    result = CliRunner().invoke(cli, ["export", "--stack", "shop", "--endpoint", endpoint,
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.stderr
    written = tmp_path / "out" / "shop.yaml"
    assert f"Wrote {written}" in result.stderr
    assert "owned by other stacks" not in result.stderr  # only the stack's own were read
    doc = yaml.safe_load(written.read_text())
    assert set(doc["queues"]) == {"mine", "guarded"}
    assert doc["queues"]["mine"]["tags"] == {"team": "pay"}
    assert doc["queues"]["guarded"]["protect"] is True
    assert "cmqinfra-" not in written.read_text().replace("cmqinfra export", "")

    result = CliRunner().invoke(cli, ["export", "--stack", "shop", "--all", "--endpoint", endpoint,
                                      "-o", str(tmp_path / "all.yml")])
    assert result.exit_code == 0, result.stderr
    assert "1 queue(s)/topic(s) owned by other stacks were not exported" in result.stderr
    assert set(yaml.safe_load((tmp_path / "all.yml").read_text())["queues"]) == {"mine", "guarded", "loose"}


@pytest.mark.parametrize("args", [[], ["--local", "--endpoint", "http://127.0.0.1:9"]])
def test_bad_requests_are_one_line_exit_1(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["export", *args, *([] if args else [])])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
