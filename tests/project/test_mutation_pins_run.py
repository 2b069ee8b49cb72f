"""Behaviours of the run layer pinned through the CLI, on a project and on a PATH (each written
for a mutant of cmqinfra/run/ that the other tests let live: docs/reliability.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cmq, git, sdk, write

from cmqinfra.emulator import Emulator
from tests.review.helpers import send


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


TWO_STACKS = {
    "cmqinfra.yaml": """
        version: 1
        environments:
          dev: {region: ap-guangzhou}
        stacks:
          search: {path: stacks/search}
          billing: {path: stacks/billing}
        """,
    "stacks/search/search.yaml": "stack: search\ntopics:\n  events: {}\n",
    "stacks/billing/billing.yaml": "stack: billing\ntopics:\n  invoices: {}\n",
}


def test_route_and_test_with_changed_since_pick_the_changed_unit(tmp_path: Path) -> None:
    write(tmp_path, TWO_STACKS)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "start")
    write(tmp_path, {"stacks/search/search.yaml": "stack: search\ntopics:\n  events: {}\n  more: {}\n"})
    code, _, err = cmq(tmp_path, "route", "--changed-since", "HEAD", "events", "--tag", "k")
    assert code == 0, err  # one unit changed: the one route needs
    code, _, err = cmq(tmp_path, "test", "--changed-since", "HEAD")
    assert "search[dev]" in err and "billing[dev]" not in err, err


def test_route_on_a_unit_with_manifest_errors_counts_them_in_one_line(tmp_path: Path) -> None:
    write(tmp_path, {**TWO_STACKS, "stacks/search/search.yaml": "stack: search\ntopics:\n  events: 7\n"})
    code, out, err = cmq(tmp_path, "route", "--stack", "search", "events", "--routing-key", "k")
    assert code == 1
    assert "error: 1 error(s) in search[dev]" in err, err
    assert "Traceback" not in out + err


def test_validate_of_a_path_takes_the_operator_s_policies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {
        "hooks.yaml": """
            stack: hooks
            topics:
              events:
                subscriptions:
                  partner: {protocol: http, endpoint: "http://partner.evil.test/hook"}
            """,
        "operator.yaml": "policies:\n  hooks:\n    rule: httpEndpointHosts\n    hosts: ['*.example.com']\n",
    })
    assert cmq(tmp_path, "validate", "hooks.yaml")[0] == 0
    monkeypatch.setenv("CMQINFRA_POLICIES", str(tmp_path / "operator.yaml"))
    code, _, err = cmq(tmp_path, "validate", "hooks.yaml")
    assert code == 1
    assert "hooks.yaml:5:7: error: subscription/events/partner: endpoint host 'partner.evil.test'" in err, err


def test_a_path_with_manifest_errors_counts_them(tmp_path: Path) -> None:
    write(tmp_path, {"bad.yaml": "stack: bad\nqueues:\n  jobs: 7\n"})
    code, _, err = cmq(tmp_path, "plan", "--local", "bad.yaml")
    assert code == 1
    assert "error: 1 error(s) in the manifest" in err, err


def test_a_path_s_plan_in_json_names_the_terraform_types_when_asked(tmp_path: Path) -> None:
    write(tmp_path, {"shop.yaml": "stack: shop\nqueues:\n  orders: {}\n"})
    code, out, err = cmq(tmp_path, "plan", "--local", "shop.yaml", "--format", "json",
                         "--resource-types", "terraform")
    assert code == 0, err
    [change] = json.loads(out)["resource_changes"]
    assert (change["address"], change["type"]) == ("queue/orders", "tencentcloud_tcmq_queue")


def test_a_path_s_plan_in_markdown_says_when_it_was_made(tmp_path: Path) -> None:
    write(tmp_path, {"shop.yaml": "stack: shop\nqueues:\n  orders: {}\n"})
    code, out, err = cmq(tmp_path, "plan", "--local", "shop.yaml", "--format", "markdown")
    assert code == 0, err
    assert "Planned at " in out and " UTC." in out, out


def test_a_path_s_plan_names_the_region_given_by_flag_and_debug_counts_the_calls(tmp_path: Path) -> None:
    write(tmp_path, {"shop.yaml": "stack: shop\nqueues:\n  orders: {}\n"})
    code, out, err = cmq(tmp_path, "plan", "--local", "shop.yaml", "--region", "ap-shanghai", "--debug")
    assert code == 0, err
    assert "(stack shop, region ap-shanghai from --region)" in out, out
    assert "API calls per action:\n  DescribeCmqQueues: " in err, err
    # export reads the region the flag names, and writes it
    code, _, err = cmq(tmp_path, "apply", "--local", "shop.yaml", "--region", "ap-shanghai", "--auto-approve")
    assert code == 0 and "API calls" not in err, err  # counted only with --debug
    code, out, err = cmq(tmp_path, "export", "--stack", "shop", "--local", "--region", "ap-shanghai")
    assert code == 0, err
    assert "region: ap-shanghai\n" in out and "orders:" in out, out


def test_a_path_s_apply_refused_after_a_change_during_the_approval_names_no_unit(
    tmp_path: Path, emulators: dict[str, Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    import click

    from cmqinfra.run import session

    emu = emulators["dev"]
    write(tmp_path, {"shop.yaml": "stack: shop\nqueues:\n  keep: {}\n"})
    assert cmq(tmp_path, "apply", "shop.yaml", "--endpoint", emu.url, "--auto-approve")[0] == 0
    write(tmp_path, {"shop.yaml": "stack: shop\nqueues:\n  keep: {visibilityTimeout: 40}\n"})

    def console_edit_then_yes(*args: object, **kw: object) -> str:
        sdk(emu).call_json("ModifyCmqQueueAttribute", {"QueueName": "keep", "VisibilityTimeout": 99})
        return "yes"

    monkeypatch.setattr(session, "interactive", lambda: True)
    monkeypatch.setattr(click, "prompt", console_edit_then_yes)
    code, _, err = cmq(tmp_path, "apply", "shop.yaml", "--endpoint", emu.url)
    assert code == 1
    assert "error: live state changed while the approval waited" in err, err


def test_target_is_refused_beside_stack_or_env_alone(repo: Path) -> None:
    for flags in (("--stack", "payments"), ("--env", "dev")):
        code, _, err = cmq(repo, "plan", "--target", "payments[dev]:queue/payments", *flags)
        assert code == 1, flags
        assert "--target names the stacks to plan: it cannot be combined with --stack, --env" in err, err


def test_a_project_plan_s_refusals_are_repeated_on_stderr(repo: Path, emulators: dict[str, Emulator]) -> None:
    # a long project plan goes to stdout (or a comment); the refusals stand on stderr as well
    code, _, err = cmq(repo, "apply", "--auto-approve", "--stack", "orders", "--env", "dev")
    assert code == 0, err
    send(emulators["dev"], "orders-dev", 2)
    write(repo, {"stacks/orders/orders.yaml": "stack: orders\n"})
    code, out, err = cmq(repo, "plan", "--stack", "orders", "--env", "dev")
    assert code == 1
    refusal = [line for line in err.splitlines() if "queue/orders-dev" in line and "message" in line]
    assert refusal and "error" in refusal[0], err


def test_a_project_plan_in_markdown_writes_its_uncut_comment_to_the_full_plan_file(repo: Path) -> None:
    code, out, err = cmq(repo, "plan", "--local", "--format", "markdown", "--full-plan", "full.md")
    assert code == 0, err
    full = (repo / "full.md").read_text()
    assert "payments[dev]" in full and "orders[prod]" in full and "Planned at " in full
