"""destroy with no PATH: what the selected units own, with the stack's safety rules and approval."""

from __future__ import annotations

from pathlib import Path

from helpers import cmq, queues, sdk, topics

from cmqinfra.emulator import Emulator


def test_destroy_deletes_what_the_selected_units_own_and_nothing_else(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    code, _, err = cmq(repo, "apply", "--auto-approve")
    assert code == 0, err
    code, out, err = cmq(repo, "destroy", "--stack", "orders", "--env", "dev")
    assert code == 1 and "refusing to destroy these resources in 1 stack(s) without --auto-approve" in err
    assert "orders-dev" in queues(emulators["dev"])
    code, out, err = cmq(repo, "destroy", "--stack", "orders", "--env", "dev", "--auto-approve")
    assert code == 0, out + err
    assert "=== orders[dev] (" in out and "queue/orders-dev will be destroyed" in out
    assert "[4/4] " in out
    assert "Destroy complete! Resources: 0 added, 0 changed, 4 destroyed across 1 stack(s)." in out
    assert set(queues(emulators["dev"])) == {"payments-dev", "payments-dead-dev", "refunds-dev"}
    assert topics(emulators["dev"]) == set()
    assert set(queues(emulators["prod"])) == {"payments", "payments-dead", "refunds", "orders"}


def test_destroy_refuses_a_unit_whose_queue_holds_messages_and_changes_nothing(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    code, _, err = cmq(repo, "apply", "--auto-approve")
    assert code == 0, err
    message = {"QueueName": "refunds", "MsgContent": "m", "DelaySeconds": 0}
    sdk(emulators["prod"]).call_json("SendCmqMsg", message)
    code, out, err = cmq(repo, "destroy", "--stack", "payments", "--auto-approve")
    assert code == 1
    assert "1 stack(s) failed or were refused: payments[prod]; nothing was changed" in err
    # payments[dev] could be destroyed alone, but a run with a refused unit changes nothing at all
    assert set(queues(emulators["dev"])) >= {"payments-dev", "payments-dead-dev", "refunds-dev"}
    assert set(queues(emulators["prod"])) >= {"payments", "payments-dead", "refunds"}
    code, out, err = cmq(repo, "destroy", "--stack", "payments", "--auto-approve", "--allow-data-loss")
    assert code == 0, out + err
    assert "Destroy complete! Resources: 0 added, 0 changed, 6 destroyed across 2 stack(s)." in out
    assert set(queues(emulators["prod"])) == {"orders"}


def test_destroy_with_a_unit_target_deletes_only_that_resource(
    repo: Path, emulators: dict[str, Emulator], tmp_path: Path
) -> None:
    code, _, err = cmq(repo, "apply", "--auto-approve")
    assert code == 0, err
    code, out, err = cmq(repo, "destroy", "--auto-approve", "--target", "payments[prod]:queue/refunds")
    assert code == 0, out + err
    assert "Destroy complete! Resources: 0 added, 0 changed, 1 destroyed across 1 stack(s)." in out
    assert set(queues(emulators["prod"])) == {"payments", "payments-dead", "orders"}
    assert "refunds-dev" in queues(emulators["dev"])
    # a stack's PATH takes plain addresses, as plan and apply do
    (tmp_path / "alone.yaml").write_text("stack: alone\nqueues:\n  a: {}\n  b: {}\n")
    code, _, err = cmq(tmp_path, "apply", "alone.yaml", "--endpoint", emulators["dev"].url, "--auto-approve")
    assert code == 0, err
    code, out, err = cmq(tmp_path, "destroy", "alone.yaml", "--endpoint", emulators["dev"].url,
                         "--auto-approve", "--target", "queue/a")
    assert code == 0, out + err
    assert "a" not in queues(emulators["dev"]) and "b" in queues(emulators["dev"])
