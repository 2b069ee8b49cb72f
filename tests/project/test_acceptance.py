"""Acceptance: a repository of three stacks in three environments over two regions, every command
in project mode through the CLI, against ONE local emulator (``--endpoint``; it serves both
regions). Each step checks what a user reads."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import cmq, git, write

from cmqinfra.emulator import Emulator

from .test_every_region import _queues

CONFIG = """
    version: 1
    variables:
      keys: {type: list, default: ["order.#"]}
      retention: {type: integer, default: 3600}
    environments:
      dev: {region: ap-guangzhou, nameSuffix: -dev}
      staging: {region: ap-guangzhou, nameSuffix: -staging, values: {retention: 7200}}
      prod: {region: ap-shanghai, values: {keys: ["order.*.created"], retention: 43200}}
    stacks:
      payments: {path: stacks/payments}
      orders: {path: stacks/orders}
      audit: {path: stacks/audit}
    """

FILES = {
    "cmqinfra.yaml": CONFIG,
    "stacks/payments/payments.yaml": """
        stack: payments
        queues:
          payments-dead: {}
          payments:
            msgRetentionSeconds: "${var.retention}"
            deadLetter: {queue: payments-dead, maxReceiveCount: 3}
        """,
    "stacks/orders/orders.yaml": """
        stack: orders
        queues:
          orders: {tags: {env: "${env.name}"}}
        topics:
          order-events:
            filterType: routingKey
            subscriptions:
              to-orders: {protocol: queue, endpoint: orders, bindingKeys: "${var.keys}"}
        """,
    "stacks/orders/orders.cmqtest.yaml": """
        tests:
          - name: a created order reaches the orders queue
            steps:
              - publish: {topic: order-events, message: "new", routingKey: order.eu.created}
              - expect: {message: "new", in: [orders]}
        """,
    "stacks/audit/audit.yaml": "stack: audit\ntopics:\n  audit-log: {}\n",
}


@pytest.fixture
def emu(tmp_path: Path) -> Emulator:
    started = Emulator.start(tmp_path / "one.sqlite3", rate_limits=False)
    yield started  # type: ignore[misc]
    started.stop()


def test_every_command_in_project_mode_against_one_emulator(tmp_path: Path, emu: Emulator) -> None:
    repo = tmp_path / "repo"
    write(repo, FILES)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    url = ["--endpoint", emu.url]

    code, out, err = cmq(repo, "validate")
    assert code == 0, err
    assert len(out.splitlines()) == 9 and "ok: orders[prod]: 1 queue, 1 topic, 1 subscription" in out

    code, out, err = cmq(repo, "resolve", "orders", "--env", "prod")
    assert code == 0, err
    assert "order.*.created" in out and "env: prod" in out

    code, out, err = cmq(repo, "plan", *url, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert [u["region"] for u in doc["units"]].count("ap-shanghai") == 3
    code, out, err = cmq(repo, "plan", *url, "--target", "orders[prod]:queue/orders")
    assert code == 0, err
    assert "PARTIAL" in out and "queue/orders will be created" in out

    code, out, err = cmq(repo, "plan", *url, "--format", "markdown", "--out", "all.plan")
    assert code == 0, err
    assert out.startswith("## cmqinfra plan: 9 stack(s), 9 with changes")
    code, shown, err = cmq(repo, "show", "all.plan", "--format", "markdown")
    # the same comment (the plan's own says when it was made and ends with the saved plan's digest)
    made = re.sub(r"Planned at [^\n]*\n\n", "", out, count=1)
    assert code == 0 and made.startswith(shown) and "Saved plan digest: `sha256:" in made[len(shown):]
    code, out, err = cmq(repo, "apply", "--plan", "all.plan")
    assert code == 0, out + err
    assert "Apply complete! Resources: 18 added, 0 changed, 0 destroyed across 9 stack(s)." in out
    assert _queues(emu.endpoint, "ap-shanghai") == {"payments", "payments-dead", "orders"}
    assert len(_queues(emu.endpoint, "ap-guangzhou")) == 6

    code, out, err = cmq(repo, "route", "--stack", "orders", "--env", "prod", "order-events",
                         "--routing-key", "order.eu.paid")
    assert code == 0, err
    assert "no subscription receives" in out.lower() or "does not match" in out
    code, out, err = cmq(repo, "test", "--stack", "orders")
    assert code == 0, out + err
    assert "3 passed, 0 failed" in out

    # --changed-since: only what the change touches
    write(repo, {"stacks/audit/audit.yaml": "stack: audit\ntopics:\n  audit-log: {trace: true}\n"})
    code, out, err = cmq(repo, "plan", *url, "--changed-since", "HEAD", "--detailed-exitcode")
    assert code == 2, out + err
    affected = "3 of 9 stack(s) affected by the changes since HEAD: audit[dev], audit[staging], audit[prod]"
    assert affected in err
    git(repo, "checkout", "-q", "--", ".")

    # a dropped environment and a changed suffix show their old resources, left as they are
    config = CONFIG.replace("audit: {path: stacks/audit}",
                            "audit: {path: stacks/audit, environments: [prod]}")
    config = config.replace("nameSuffix: -staging,", "nameSuffix: -stage,")
    write(repo, {"cmqinfra.yaml": config})
    code, out, err = cmq(repo, "plan", *url)
    assert code == 0, out + err
    for owner in ("audit-dev", "audit-staging", "orders-staging", "payments-staging"):
        assert f"tagged as owned by stack '{owner}'" in out, owner
    assert "queue/payments-stage will be created" in out and "will be destroyed" not in out
    # a rename without renamedFrom: the old stack's resources are named, the plan refused
    config = CONFIG.replace("payments: {path: stacks/payments}", "billing: {path: stacks/payments}")
    write(repo, {"cmqinfra.yaml": config,
                 "stacks/payments/payments.yaml": FILES["stacks/payments/payments.yaml"].replace(
                     "stack: payments", "stack: billing")})
    code, out, err = cmq(repo, "plan", *url, "--env", "prod")
    assert code == 1
    assert "queue/payments is owned by stack 'payments', not 'billing'" in out + err
    # with renamedFrom, the rename takes them over
    write(repo, {"stacks/payments/payments.yaml": FILES["stacks/payments/payments.yaml"].replace(
        "stack: payments", "stack: billing\n        renamedFrom: payments")})
    code, out, err = cmq(repo, "plan", *url, "--env", "prod")
    assert code == 0, out + err
    assert "will be destroyed" not in out and "will be created" not in out
    git(repo, "checkout", "-q", "--", ".")

    code, out, err = cmq(repo, "destroy", *url, "--env", "staging", "--auto-approve")
    assert code == 0, out + err
    assert "Destroy complete! Resources: 0 added, 0 changed, 6 destroyed across 3 stack(s)." in out
    assert len(_queues(emu.endpoint, "ap-guangzhou")) == 3
    code, out, err = cmq(repo, "plan", *url, "--env", "prod", "--detailed-exitcode")
    assert code == 0, out + err
