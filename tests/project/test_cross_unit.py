"""Refactoring entries that name another unit are checked against the units of their environment:
a move that could never complete, or a rename of a stack that still exists, is an error at its
line, in validate and in plan, before anything is read."""

from __future__ import annotations

from pathlib import Path

from helpers import cmq, write

PROJECT = """
    version: 1
    environments:
      dev: {endpoint: "http://127.0.0.1:9", nameSuffix: -dev}
      prod: {endpoint: "http://127.0.0.1:9"}
    stacks:
      payments: {path: stacks/payments}
      billing: {path: stacks/billing, environments: [dev]}
    """


def test_a_move_to_a_stack_with_no_unit_in_the_environment_is_an_error_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": PROJECT,
        "stacks/payments/main.yaml": """
            stack: payments
            queues:
              kept: {}
            moved:
              - {address: queue/orders, toStack: billing}
            """,
        "stacks/billing/main.yaml": "stack: billing\nqueues:\n  orders: {}\n",
    })
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1
    # billing has a unit in dev (billing-dev), none in prod: only prod's move is wrong.
    assert "ok: payments[dev]: 1 queue" in out and "ok: billing[dev]: 1 queue" in out
    assert ("stacks/payments/main.yaml:5:5: error: moved queue/orders to stack \"billing\": no stack of "
            "environment prod is named so, so the move could never complete (hint: the stacks of environment "
            "prod: payments)") in err
    assert "failed: payments[prod]: 1 error" in err
    code, out, err = cmq(tmp_path, "plan", "--env", "prod")
    assert code == 1 and "moved queue/orders to stack \"billing\": no stack of environment prod" in err
    assert "Connection refused" not in err and "127.0.0.1:9" not in err  # refused before any read


def test_renaming_a_stack_that_still_exists_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": PROJECT,
        "stacks/payments/main.yaml": "stack: payments\nqueues:\n  kept: {}\n",
        "stacks/billing/main.yaml": "stack: billing\nrenamedFrom: payments\nqueues:\n  orders: {}\n",
    })
    code, out, err = cmq(tmp_path, "validate", "--env", "dev")
    assert code == 1
    assert ("stacks/billing/main.yaml:1:1: error: renamedFrom \"payments-dev\": that stack still exists in "
            "environment dev; a rename takes everything it owns") in err
