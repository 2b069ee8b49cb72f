"""Behaviours of the run layer pinned through the CLI on a project (each written for a mutant of
cmqinfra/run/ that the other tests let live)."""

from __future__ import annotations

from pathlib import Path

from helpers import cmq, write

from cmqinfra.emulator import Emulator


def test_export_writes_a_queue_subscription_s_endpoint_without_the_environment_s_affixes(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    code, _, err = cmq(repo, "apply", "--auto-approve", "--stack", "orders", "--env", "dev")
    assert code == 0, err
    code, out, err = cmq(repo, "export", "--stack", "orders", "--env", "dev")
    assert code == 0, err
    assert "\n  order-events:\n" in out and "endpoint: orders\n" in out
    assert "orders-dev" not in out  # the subscription's queue as the stack writes it


def test_flow_tests_name_the_problem_of_every_unit(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": """
            version: 1
            environments:
              dev: {region: ap-guangzhou}
              prod: {region: ap-guangzhou, nameSuffix: -prod}
            stacks:
              single: {path: stacks/single.yaml}
            """,
        "stacks/single.yaml": "stack: single\nqueues:\n  jobs: {}\n",
    })
    code, _, err = cmq(tmp_path, "test")
    assert code != 0
    assert "error: single[dev]: stacks/single.yaml: no test file beside it" in err, err
    assert "error: single[prod]: stacks/single.yaml: no test file beside it" in err, err
