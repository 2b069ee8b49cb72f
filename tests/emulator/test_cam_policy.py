"""`cmqinfra cam-policy` is exactly enough: the emulator enforces it as CAM does, the plan policy
plans and less does not, the apply policy applies every kind of change, and no call outside the
policy is ever made (the emulator counts every authenticated call)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cmqinfra.cloud.calls import CALLS, policy_document
from cmqinfra.emulator import Emulator
from cmqinfra.emulator.cam import PolicyError, parse_policy

sys.path.insert(0, str(Path(__file__).parents[1] / "project"))
from helpers import cmq, sdk, write  # noqa: E402

STACK = """
stack: shop
queues:
  dead: {}
  orders: {visibilityTimeout: 60, deadLetter: {queue: dead, maxReceiveCount: 3}, tags: {team: a}}
  legacy: {}
topics:
  events:
    filterType: tag
    subscriptions:
      to-orders: {protocol: queue, endpoint: orders, filterTags: [created]}
      hook: {protocol: http, endpoint: "http://127.0.0.1:9/hook"}
"""

# Every kind of change: update (a queue, a topic, a subscription's filter tags cleared and its
# strategy), a dead letter unbound, a tag changed, a queue adopted, one released, one deleted,
# a topic and its subscriptions deleted and re-created under new names.
CHANGED = """
stack: shop
queues:
  dead: {}
  orders: {visibilityTimeout: 90, tags: {team: b}}
  stray: {}
removed:
  - {address: queue/legacy}
topics:
  events:
    filterType: tag
    msgRetentionSeconds: 3600
    subscriptions:
      to-orders: {protocol: queue, endpoint: orders}
      hook: {protocol: http, endpoint: "http://127.0.0.1:9/hook", notifyStrategy: BACKOFF_RETRY}
  audit:
    subscriptions:
      copy: {protocol: queue, endpoint: dead}
"""


def policy(command: str, *, drop: str | None = None, region: str = "") -> str:
    doc = policy_document(command, region)  # type: ignore[arg-type]
    for statement in doc["statement"]:
        statement["action"] = [a for a in statement["action"] if a.split(":")[1] != drop]
    return json.dumps(doc)


@pytest.fixture
def emu(tmp_path: Path) -> Emulator:
    started = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=False)
    yield started  # type: ignore[misc]
    started.stop()


def enforce(emu: Emulator, text: str) -> None:
    emu.cam_policy = parse_policy(text, "policy.json")
    emu.reset_call_counts()


def granted(text: str) -> set[str]:
    return {a.split(":")[1] for s in json.loads(text)["statement"] for a in s["action"]}


def test_the_apply_policy_applies_every_kind_of_change_and_nothing_else_is_called(
    emu: Emulator, tmp_path: Path
) -> None:
    write(tmp_path, {"shop.yaml": STACK})
    apply_policy = policy("apply")
    enforce(emu, apply_policy)
    code, out, err = cmq(tmp_path, "plan", "shop.yaml", "--endpoint", emu.url, "--out", "p.plan")
    assert code == 0, err
    code, out, err = cmq(tmp_path, "apply", "--plan", "p.plan")
    assert code == 0, out + err
    called = set(emu.call_counts())
    # an untagged queue made by hand, adopted below
    emu.cam_policy = None
    sdk(emu).call_json("CreateCmqQueue", {"QueueName": "stray"})
    enforce(emu, apply_policy)
    write(tmp_path, {"shop.yaml": CHANGED})
    code, out, err = cmq(tmp_path, "apply", "shop.yaml", "--endpoint", emu.url, "--auto-approve")
    assert code == 0, out + err
    called |= set(emu.call_counts())
    code, out, err = cmq(tmp_path, "destroy", "shop.yaml", "--endpoint", emu.url, "--auto-approve")
    assert code == 0, out + err
    called |= set(emu.call_counts())
    assert called <= granted(apply_policy)  # nothing outside the policy
    # and the policy holds nothing these runs did not need: the table is exact
    assert called == {c.action for c in CALLS}


def test_the_plan_policy_plans_and_less_does_not(emu: Emulator, tmp_path: Path) -> None:
    write(tmp_path, {"shop.yaml": STACK})
    assert cmq(tmp_path, "apply", "shop.yaml", "--endpoint", emu.url, "--auto-approve")[0] == 0
    write(tmp_path, {"shop.yaml": CHANGED})
    plan_policy = policy("plan")
    enforce(emu, plan_policy)
    code, out, err = cmq(tmp_path, "plan", "shop.yaml", "--endpoint", emu.url, "--out", "p.plan")
    assert code == 0, err
    assert set(emu.call_counts()) <= granted(plan_policy)
    assert "GetCallerIdentity" in emu.call_counts()  # --out binds the plan to the account
    # the plan key cannot apply
    code, out, err = cmq(tmp_path, "apply", "--plan", "p.plan")
    assert code == 1 and "AuthFailure.UnauthorizedOperation" in out + err
    # any one read less, and plan fails, naming the refusal
    reads = ("DescribeCmqQueues", "DescribeCmqTopics", "DescribeCmqSubscriptionDetail", "GetCallerIdentity")
    for action in reads:
        enforce(emu, policy("plan", drop=action))
        code, out, err = cmq(tmp_path, "plan", "shop.yaml", "--endpoint", emu.url, "--out", "p.plan")
        assert code == 1, action
        assert "AuthFailure.UnauthorizedOperation" in err and action in err, err


def test_tag_modification_is_needed_to_adopt(emu: Emulator, tmp_path: Path) -> None:
    sdk(emu).call_json("CreateCmqQueue", {"QueueName": "stray"})
    write(tmp_path, {"shop.yaml": "stack: shop\nqueues:\n  stray: {}\n"})
    enforce(emu, policy("apply", drop="ModifyResourceTags"))
    code, out, err = cmq(tmp_path, "apply", "shop.yaml", "--endpoint", emu.url, "--auto-approve")
    assert code == 1 and "ModifyResourceTags" in out + err
    enforce(emu, policy("apply"))
    assert cmq(tmp_path, "apply", "shop.yaml", "--endpoint", emu.url, "--auto-approve")[0] == 0


def test_writes_are_scoped_to_the_region(emu: Emulator, tmp_path: Path) -> None:
    write(tmp_path, {"shop.yaml": "stack: shop\nqueues:\n  q: {}\n"})
    enforce(emu, policy("apply", region="ap-shanghai"))
    code, out, err = cmq(tmp_path, "apply", "shop.yaml", "--endpoint", emu.url, "--auto-approve")
    assert code == 1
    assert f"qcs::tdmq:{emu.region}:uin/{emu.account_id}:queue/q" in out + err
    enforce(emu, policy("apply", region=emu.region))
    assert cmq(tmp_path, "apply", "shop.yaml", "--endpoint", emu.url, "--auto-approve")[0] == 0


def test_deny_wins_and_bad_policies_are_named() -> None:
    doc = {"version": "2.0", "statement": [
        {"effect": "allow", "action": ["tdmq:*"], "resource": "*"},
        {"effect": "deny", "action": "tdmq:DeleteCmqQueue", "resource": "qcs::tdmq::uin/:queue/keep*"},
    ]}
    cam = parse_policy(json.dumps(doc), "p.json")
    assert cam.allows("tdmq:DeleteCmqQueue", "qcs::tdmq:ap-guangzhou:uin/1:queue/other")
    assert not cam.allows("tdmq:DeleteCmqQueue", "qcs::tdmq:ap-guangzhou:uin/1:queue/keep-me")
    assert not cam.allows("tag:ModifyResourceTags", "*")
    with pytest.raises(PolicyError, match=r"p.json:3: not JSON"):
        parse_policy('{\n "statement": [\n oops', "p.json")
    with pytest.raises(PolicyError, match=r"statement\[0\]: condition not emulated"):
        parse_policy('{"statement": [{"effect": "allow", "action": "*", "resource": "*", "condition": {}}]}',
                     "p.json")


def test_the_command_prints_what_the_table_says() -> None:
    code, out, _ = cmq(Path.cwd(), "cam-policy", "plan")
    assert code == 0
    assert granted(out) == {c.action for c in CALLS if "plan" in c.commands}
    code, out, _ = cmq(Path.cwd(), "cam-policy", "apply", "--region", "ap-guangzhou", "--account", "123")
    assert "qcs::tdmq:ap-guangzhou:uin/123:queue/*" in out
    assert "tag:GetResources" not in out
    code, out, err = cmq(Path.cwd(), "emulator", "--cam-policy", "/nonexistent/policy.json")
    assert code == 1 and "cannot read the CAM policy /nonexistent/policy.json" in err
