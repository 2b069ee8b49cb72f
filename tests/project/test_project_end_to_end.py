"""A repository of three stacks in two environments (dev and prod, different regions, each on its
own emulator), through the CLI: validate, plan and apply all; then --changed-since."""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import cmq, git, queues, sdk, topics

from cmqinfra.emulator import Emulator
from cmqinfra.render.markdown import GITHUB_COMMENT_LIMIT


def _tags(detail: dict[str, object]) -> dict[str, str]:
    found = detail["QueueDescribe"]["Tags"] or []  # type: ignore[index]
    return {t["TagKey"]: t["TagValue"] for t in found}  # type: ignore[index, union-attr]


def test_validate_plan_apply_all_then_plan_only_the_changed_stack(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    code, out, err = cmq(repo, "validate")
    assert code == 0, err
    assert out.splitlines() == [
        "ok: payments[dev]: 3 queues, 0 topics, 0 subscriptions",
        "ok: payments[prod]: 3 queues, 0 topics, 0 subscriptions",
        "ok: orders[dev]: 1 queue, 1 topic, 2 subscriptions",
        "ok: orders[prod]: 1 queue, 1 topic, 2 subscriptions",
        "ok: audit[prod]: 0 queues, 1 topic, 0 subscriptions",
    ]

    code, out, err = cmq(repo, "plan", "--detailed-exitcode", "--out", "project.plan", "--format", "markdown")
    assert code == 2, err
    assert len(out) <= GITHUB_COMMENT_LIMIT
    assert "| `payments[dev]` | `ap-guangzhou` | 3 | 0 | 0 | 0 | 0 | 0 | 0 | changes |" in out
    assert "| `audit[prod]` | `ap-shanghai` | 1 | 0 | 0 | 0 | 0 | 0 | 0 | changes |" in out
    for key in ("payments[dev]", "payments[prod]", "orders[dev]", "orders[prod]", "audit[prod]"):
        assert f"<details><summary><code>{key}</code>: Plan:" in out

    # A saved plan is bound to its targets: flags naming others do not move it.
    code, out, err = cmq(repo, "apply", "--plan", "project.plan", "--auto-approve", "--region", "ap-beijing")
    assert code == 0, err
    assert "note: --region ignored: a saved project plan applies each stack to the target" in err
    # One counter over every step of every unit, each unit's counts, the totals and the time.
    steps = [line for line in out.splitlines() if line.startswith("[")]
    assert len(steps) == 15 and all(line.startswith(f"[{n}/15] ") for n, line in enumerate(steps, 1))
    assert any(" payments[dev]: queue/refunds-dev: created (" in line for line in steps)
    assert "payments[prod]: apply complete: 3 added, 0 changed, 0 destroyed (3 steps)." in out
    assert "audit[prod]: apply complete: 1 added, 0 changed, 0 destroyed (1 step)." in out
    assert re.search(r"^Apply complete! Resources: 15 added, 0 changed, 0 destroyed across 5 stack\(s\)\. "
                     r"\(15 steps in \d+\.\ds\)$", out, re.MULTILINE), out

    dev, prod = queues(emulators["dev"]), queues(emulators["prod"])
    # dev: names suffixed, dev values; prod: its own region's emulator, the value file's values.
    assert set(dev) == {"payments-dev", "payments-dead-dev", "refunds-dev", "orders-dev"}
    assert set(prod) == {"payments", "payments-dead", "refunds", "orders"}
    assert dev["refunds-dev"]["QueueDescribe"]["VisibilityTimeout"] == 30
    assert prod["refunds"]["QueueDescribe"]["VisibilityTimeout"] == 120  # default from the other file
    assert _tags(prod["refunds"]) == {"team": "payments-prod", "env": "prod", "cmqinfra-stack": "payments"}
    assert _tags(dev["refunds-dev"])["cmqinfra-stack"] == "payments-dev"
    policy = dev["payments-dev"]["QueueDescribe"]["DeadLetterPolicy"]
    assert policy["DeadLetterQueue"] == "payments-dead-dev"
    assert topics(emulators["dev"]) == {"order-events-dev"}
    assert topics(emulators["prod"]) == {"order-events", "audit-log"}

    code, out, err = cmq(repo, "plan", "--detailed-exitcode")
    assert code == 0, err + out
    assert out.count("no changes") == 5

    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "infra")
    git(repo, "checkout", "-qb", "feature")
    path = repo / "stacks/orders/orders.yaml"
    path.write_text(path.read_text().replace("7200", "9000"))

    code, out, err = cmq(repo, "plan", "--changed-since", "main", "--format", "markdown",
                         "--detailed-exitcode")
    assert code == 2, err
    assert "2 of 5 stack(s) affected by the changes since main: orders[dev], orders[prod]" in err
    rows = [line for line in out.splitlines() if line.startswith("| `")]
    assert rows == [
        "| `orders[dev]` | `ap-guangzhou` | 0 | 1 | 0 | 0 | 0 | 0 | 0 | changes |",
        "| `orders[prod]` | `ap-shanghai` | 0 | 1 | 0 | 0 | 0 | 0 | 0 | changes |",
    ]
    assert "payments" not in out and "audit" not in out
    assert "msgRetentionSeconds = 7200 -> 9000" in out


def test_json_output_names_every_unit(repo: Path) -> None:
    code, out, err = cmq(repo, "plan", "--format", "json", "--stack", "audit")
    assert code == 0, err
    doc = json.loads(out)
    assert [(u["stack"], u["environment"], u["region"], u["status"]) for u in doc["units"]] == [
        ("audit", "prod", "ap-shanghai", "changes")
    ]
    assert doc["units"][0]["plan"]["resource_changes"][0]["address"] == "topic/audit-log"


def test_one_failing_stack_fails_the_run_and_changes_nothing(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    bad = repo / "environments/prod.yaml"
    bad.write_text("team: payments-prod\nvisibility: 99999\n")
    code, out, err = cmq(repo, "apply", "--auto-approve")
    assert code == 1
    assert "environments/prod.yaml:2:13: error: visibilityTimeout must be at most 43200 (got 99999)" in err
    assert "nothing was changed" in err
    assert queues(emulators["dev"]) == {} and queues(emulators["prod"]) == {}


def test_stack_and_env_filters(repo: Path) -> None:
    code, out, _ = cmq(repo, "plan", "--stack", "payments", "--env", "prod")
    assert code == 0
    assert "=== payments[prod] (region ap-shanghai" in out and "payments[dev]" not in out
    code, _, err = cmq(repo, "plan", "--stack", "payment")
    assert code == 1 and "no stack named 'payment' in the project (stacks: payments, orders, audit)" in err
    code, _, err = cmq(repo, "plan", "--env", "staging")
    assert code == 1 and "no environment named 'staging'" in err


def test_a_project_plan_stale_in_one_stack_applies_nothing(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    code, _, err = cmq(repo, "plan", "--out", "project.plan")
    assert code == 0, err
    # Someone creates one of prod's queues by hand after the plan was made.

    sdk(emulators["prod"]).call_json("CreateCmqQueue", {"QueueName": "refunds"})
    code, out, err = cmq(repo, "apply", "--plan", "project.plan")
    assert code == 1
    assert "the saved plan is stale for payments[prod]: live state changed since it was made" in err
    assert queues(emulators["dev"]) == {}
    assert set(queues(emulators["prod"])) == {"refunds"}


def test_a_region_flag_disagreeing_with_an_environment_fails_that_stack(repo: Path) -> None:
    code, out, err = cmq(repo, "plan", "--stack", "audit", "--region", "ap-guangzhou")
    assert code == 1
    assert ("error: audit[prod]: --region ap-guangzhou disagrees with the environment prod's region "
            "ap-shanghai; the environment prod wins") in err
