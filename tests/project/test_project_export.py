"""export into a stack of a project: what the unit owns in one environment, on that environment's
target, written as the stack's manifests write it; planning it afterwards changes nothing."""

from __future__ import annotations

from pathlib import Path

from helpers import cmq, write

from cmqinfra.emulator import Emulator


def test_export_of_a_unit_is_written_with_the_stack_s_own_names(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    code, _, err = cmq(repo, "apply", "--auto-approve")
    assert code == 0, err
    code, out, err = cmq(repo, "export", "--stack", "payments", "--env", "dev")
    assert code == 0, err
    assert "stack: payments\n" in out and "region:" not in out
    assert "\n  payments-dead:\n" in out and "queue: payments-dead\n" in out
    assert "-dev" not in out  # the environment's suffix is resolve's to add
    # Written over the stack's manifests, the plan of every environment has nothing to do.
    (repo / "stacks/payments/base.yaml").unlink()
    (repo / "stacks/payments/refunds.yaml").unlink()
    code, _, err = cmq(repo, "export", "--stack", "payments", "--env", "prod", "-o", "stacks/payments")
    assert code == 0, err
    assert (repo / "stacks/payments/payments.yaml").is_file()
    code, out, err = cmq(repo, "plan", "--stack", "payments", "--env", "prod", "--detailed-exitcode")
    assert code == 0, out + err


def test_export_into_a_project_names_one_unit(repo: Path) -> None:
    code, _, err = cmq(repo, "export", "--stack", "payments")
    assert code == 1 and "2 stacks are selected (payments[dev], payments[prod])" in err
    write(repo, {"stacks/payments/payments.yaml": "stack: payments\n"})
    code, _, err = cmq(repo, "export", "--stack", "payments", "--env", "prod", "-o", "stacks/payments")
    assert code == 1 and "already exists; nothing was written" in err
