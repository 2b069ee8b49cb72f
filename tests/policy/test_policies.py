"""Project policies through the CLI: every built-in rule passing and failing at the right lines,
in validate and plan, text, JSON and markdown; exceptions; one stack by path and a project of
two stacks x two environments."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator

sys.path.insert(0, str(Path(__file__).parents[1] / "project"))
sys.path.insert(0, str(Path(__file__).parent))
from helpers import cmq, git, write  # noqa: E402
from policy_project import project  # noqa: E402

REGIONS = {"dev": "ap-guangzhou", "prod": "ap-shanghai"}
B = "stacks/billing/billing.yaml"

# billing's violations, as validate prints them (the policy's line in cmqinfra.yaml in brackets)
BILLING_DEV = [
    f"{B}:3:3: error: queue/Invoices: has no dead-letter queue (deadLetter) [policy dead-letters at "
    "cmqinfra.yaml:10:3] (hint: a poison message must not block a queue; or declare `policyExceptions: "
    "[{policy: dead-letters, reason: ...}]` on the resource)",
    f"{B}:11:9: warning: queue/ledger: deadLetter.maxReceiveCount is 20, above the allowed 10 [policy "
    "dead-letters at cmqinfra.yaml:10:3]: waived by an exception: ledger replays need 20 attempts",
    f"{B}:3:3: error: queue/Invoices: msgRetentionSeconds is 300, below the allowed 600 [policy retention at "
    "cmqinfra.yaml:18:3] (hint: declare `policyExceptions: [{policy: retention, reason: ...}]` on the "
    "resource)",
    f"{B}:5:3: error: queue/ledger: rewindSeconds is 7200, above the allowed 3600 [policy rewind at "
    "cmqinfra.yaml:23:3] (hint: declare `policyExceptions: [{policy: rewind, reason: ...}]` on the resource)",
    f"{B}:3:3: warning: queue/Invoices: name 'Invoices' does not match the pattern '[a-z][a-z0-9-]*' [policy "
    "names at cmqinfra.yaml:26:3] (hint: declare `policyExceptions: [{policy: names, reason: ...}]` on the "
    "resource)",
    f"{B}:18:7: error: subscription/billing-events/partner: endpoint 'http://partner.evil.test/hook' is not "
    "https [policy hooks at cmqinfra.yaml:30:3] (hint: declare `policyExceptions: [{policy: hooks, reason: "
    "...}]` on the resource)",
    f"{B}:18:7: error: subscription/billing-events/partner: endpoint host 'partner.evil.test' is not among "
    "the allowed hosts (*.example.com) [policy hooks at cmqinfra.yaml:30:3] (hint: declare "
    "`policyExceptions: [{policy: hooks, reason: ...}]` on the resource)",
    f"{B}:3:3: error: queue/Invoices: lacks the required tag(s) team [policy billing-tags at "
    "cmqinfra.yaml:34:3] (hint: declare `policyExceptions: [{policy: billing-tags, reason: ...}]` on the "
    "resource)",
]
PROD_ONLY = (
    f"{B}:3:3: error: queue/Invoices: is not protected (protect: true) [policy prod-protected at "
    "cmqinfra.yaml:14:3] (hint: declare `policyExceptions: [{policy: prod-protected, reason: ...}]` on the "
    "resource)"
)


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def emulators(tmp_path: Path) -> Iterator[dict[str, Emulator]]:
    started = {
        env: Emulator.start(tmp_path / f"{env}.sqlite3", region=region, rate_limits=False)
        for env, region in REGIONS.items()
    }
    try:
        yield started
    finally:
        for emu in started.values():
            emu.stop()


@pytest.fixture
def repo(tmp_path: Path, emulators: dict[str, Emulator]) -> Path:
    root = tmp_path / "repo"
    write(root, project({env: emu.url for env, emu in emulators.items()}))
    return root


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "[policy " in line]


# ---------------------------------------------------------------- validate


def test_validate_project_reports_every_rule_at_the_resource_and_the_policy(repo: Path) -> None:
    code, out, err = cmq(repo, "validate")
    assert code == 1
    # each unit's diagnostics are printed once; prod adds the rule scoped to prod
    assert lines(err) == BILLING_DEV + [PROD_ONLY]
    assert "ok: orders[dev]" in out and "ok: orders[prod]" in out
    assert "failed: billing[dev]: 6 errors" in err and "failed: billing[prod]: 7 errors" in err


def test_validate_project_json_and_markdown_carry_the_violations(repo: Path) -> None:
    code, out, _ = cmq(repo, "validate", "--format", "json", "--env", "prod")
    assert code == 1
    units = {u["stack"]: u for u in json.loads(out)["units"]}
    found = {
        (d["line"], d["severity"], d["message"].split(" [policy ")[0])
        for d in units["billing"]["diagnostics"]
    }
    assert (3, "error", "queue/Invoices: is not protected (protect: true)") in found
    assert (11, "warning", "queue/ledger: deadLetter.maxReceiveCount is 20, above the allowed 10") in found
    assert units["orders"]["diagnostics"] == []
    code, out, _ = cmq(repo, "validate", "--format", "markdown", "--env", "prod")
    assert code == 1
    assert (
        "queue/Invoices: is not protected (protect: true) [policy prod-protected at cmqinfra.yaml:14:3]"
        in out
    )
    assert "waived by an exception: ledger replays need 20 attempts" in out


def test_fixing_the_manifest_passes_every_rule(repo: Path) -> None:
    billing = repo / B
    fixed = (
        billing.read_text()
        .replace(
            "  Invoices:\n    msgRetentionSeconds: 300\n",
            "  invoices:\n    msgRetentionSeconds: 600\n    protect: true\n    tags: {team: billing}\n"
            "    deadLetter: {queue: ledger-dead, maxReceiveCount: 10}\n",
        )
        .replace("rewindSeconds: 7200", "rewindSeconds: 3600")
        .replace("http://partner.evil.test/hook", "https://partner.example.com/hook")
    )
    billing.write_text(fixed)
    code, out, err = cmq(repo, "validate")
    assert code == 0, err
    assert lines(err) == [BILLING_DEV[1].replace(":11:9:", ":14:9:")]  # the waiver stays visible


def test_one_stack_by_path_is_the_projects_and_takes_its_policies(repo: Path, tmp_path: Path) -> None:
    # a PATH inside the project is refused, naming the flags that plan it with its policies
    code, _, err = cmq(repo, "validate", "stacks/billing")
    assert code == 1 and "--stack billing" in err and lines(err) == []
    code, _, err = cmq(repo, "validate", "--stack", "billing", "--env", "dev")
    assert code == 1
    assert lines(err) == BILLING_DEV
    # the same stack outside any project has no policies
    alone = tmp_path / "alone"
    write(alone, {"billing.yaml": (repo / B).read_text()})
    code, out, err = cmq(alone, "validate", "billing.yaml")
    assert code == 0 and lines(err) == [], err


def test_policies_in_cmqinfra_yaml_are_checked_where_written(repo: Path) -> None:
    config = repo / "cmqinfra.yaml"
    config.write_text(
        config.read_text()
        .replace("    maxReceiveCount: 10\n", "    maxReceiveCount: 10\n    hosts: [a.example.com]\n")
        .replace('pattern: "[a-z][a-z0-9-]*"', 'pattern: "[a-z"')
        .replace("    min: 600\n", "    min: 60000\n")
        .replace("rule: rewindBounds", "rule: rewindLimits")
    )
    code, _, err = cmq(repo, "validate")
    assert code == 1
    # the schema names the rules
    assert "cmqinfra.yaml:25:11: error: rule must be one of " in err and "rewindLimits" in err
    config.write_text(config.read_text().replace("rule: rewindLimits", "rule: rewindBounds"))
    code, _, err = cmq(repo, "validate")
    assert code == 1
    assert (
        "cmqinfra.yaml:13:5: error: policy dead-letters: hosts does not apply to rule deadLetterRequired "
        in err
    )
    assert "cmqinfra.yaml:22:10: error: policy retention: min is above max" in err
    assert "cmqinfra.yaml:30:14: error: policy names: pattern is not a regular expression" in err


def test_a_pattern_that_backtracks_is_cut_short(repo: Path) -> None:
    config = repo / "cmqinfra.yaml"
    config.write_text(config.read_text().replace('pattern: "[a-z][a-z0-9-]*"', 'pattern: "(a|aa)+b"'))
    (repo / "stacks/orders/orders.yaml").write_text(
        (repo / "stacks/orders/orders.yaml").read_text().replace("orders-dead", "a" * 60)
    )
    started = time.monotonic()
    code, _, err = cmq(repo, "validate", "--stack", "orders", "--env", "dev")
    assert time.monotonic() - started < 10
    assert f"name '{'a' * 60}' could not be checked: the pattern takes too long" in err


# ---------------------------------------------------------------- plan


def test_plan_refuses_a_topic_replacement_in_prod_only(repo: Path) -> None:
    code, out, err = cmq(repo, "apply", "--stack", "orders", "--auto-approve")
    assert code == 0, out + err
    orders = repo / "stacks/orders/orders.yaml"
    orders.write_text(
        orders.read_text()
        .replace(
            "  order-events:\n    subscriptions:",
            "  order-events:\n    filterType: routingKey\n    policyExceptions:\n"
            "      - {policy: no-topic-replacement, reason: we know}\n    subscriptions:",
        )
        .replace(
            'endpoint: "https://hooks.example.com/orders"}',
            'endpoint: "https://hooks.example.com/orders", bindingKeys: ["a.b"]}',
        )
    )
    code, out, err = cmq(repo, "plan", "--stack", "orders", "--format", "markdown")
    assert code == 1
    # dev may replace the topic; prod may not, and the declared exception cannot waive it
    assert (
        "stacks/orders/orders.yaml:8:3: error: topic/order-events: the plan would replace it, which this "
        "policy forbids [policy no-topic-replacement at cmqinfra.yaml:38:3]; the exception at "
        "stacks/orders/orders.yaml:11:9 is not allowed by this policy"
    ) in out
    # gathered at the top of the comment, before the table of stacks
    assert out.index("### Policy") < out.index("| stack |")
    assert "1 policy violation(s):\n\n- **`orders[prod]`**: `stacks/orders/orders.yaml:8:3: error: " in out
    # each unit's own section: the refused prod unit comes first (risk first), dev after it
    sections = out.split("<details><summary><code>")
    dev = next(part for part in sections if part.startswith("orders[dev]"))
    prod = next(part for part in sections if part.startswith("orders[prod]"))
    assert "no-topic-replacement" not in dev and "no-topic-replacement" in prod
    code, out, err = cmq(repo, "plan", "--stack", "orders", "--env", "dev", "--format", "json")
    assert code == 0, err
    code, out, err = cmq(repo, "plan", "--stack", "orders", "--env", "prod", "--format", "json")
    assert code == 1
    unit = json.loads(out)["units"][0] if "units" in json.loads(out) else json.loads(out)
    assert "no-topic-replacement" in json.dumps(unit)


def test_plan_of_one_stack_carries_the_violations(repo: Path, emulators: dict[str, Emulator]) -> None:
    code, out, err = cmq(repo, "plan", "--stack", "billing", "--env", "dev")
    assert code == 1
    assert "billing[dev]" in err and "nothing can be applied" in err
    assert BILLING_DEV[0] in out + err
    assert BILLING_DEV[1] in out + err  # the waiver is shown with the plan
    code, out, err = cmq(repo, "apply", "--stack", "billing", "--env", "dev", "--auto-approve")
    assert code == 1 and "Apply complete" not in out


def test_policy_reference_doc_is_generated_from_the_schema() -> None:
    from cmqinfra.policy.reference import render_reference

    doc = (Path(__file__).parents[2] / "docs" / "policy-reference.md").read_text(encoding="utf-8")
    assert doc == render_reference(), "run: python -m cmqinfra.policy.reference > docs/policy-reference.md"
    assert "| `forbiddenActions` | plan, apply | `actions`, `kinds` | `actions` |" in doc


def test_the_plan_comment_lists_violations_and_waivers_first(repo: Path) -> None:
    code, out, _ = cmq(repo, "plan", "--stack", "billing", "--env", "dev", "--format", "markdown")
    assert code == 1
    head = out.split("| stack |")[0]
    assert "### Policy" in head and "7 policy violation(s):" in head  # 6 errors, 1 warning
    assert "1 exception(s) declared in the manifests, with their reasons:" in head
    assert "waived by an exception: ledger replays need 20 attempts" in head


def test_a_changed_policy_rechecks_the_stacks_it_may_govern(repo: Path) -> None:
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    code, out, err = cmq(repo, "validate", "--changed-since", "HEAD")
    assert code == 0 and "orders" not in out + err and "billing" not in out + err
    config = repo / "cmqinfra.yaml"
    config.write_text(config.read_text().replace("maxReceiveCount: 10", "maxReceiveCount: 2"))
    code, out, err = cmq(repo, "validate", "--changed-since", "HEAD")
    assert code == 1
    # a loosened or tightened policy is checked against every stack, not only the changed ones
    assert "queue/orders: deadLetter.maxReceiveCount is 5, above the allowed 2" in err
    assert "ok: orders" not in out


def test_destroying_a_stack_is_judged_by_the_rules_about_changes_only(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    code, out, err = cmq(repo, "plan", "--stack", "billing", "--env", "dev", "--destroy")
    assert code == 0, out + err
    assert "[policy " not in out + err


def test_the_operators_policy_file_holds_whatever_the_repository_says(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a pull request deletes every policy from cmqinfra.yaml ...
    config = repo / "cmqinfra.yaml"
    config.write_text(config.read_text().split("policies:")[0])
    assert cmq(repo, "validate")[0] == 0
    # ... the operator's file (a CI variable names it; the repository cannot) still applies
    operator = tmp_path / "operator-policies.yaml"
    operator.write_text("policies:\n  hooks:\n    rule: httpEndpointHosts\n    hosts: ['*.example.com']\n")
    monkeypatch.setenv("CMQINFRA_POLICIES", str(operator))
    code, _, err = cmq(repo, "validate")
    assert code == 1
    assert (
        f"{B}:18:7: error: subscription/billing-events/partner: endpoint host 'partner.evil.test' is not "
        f"among the allowed hosts (*.example.com) [policy operator:hooks at {operator}:2:3]"
    ) in err
    code, _, err = cmq(repo, "validate", "--stack", "billing", "--env", "dev")  # one stack too
    assert code == 1 and "[policy operator:hooks" in err
    operator.write_text("policies:\n  hooks: {rule: nope}\n")
    code, _, err = cmq(repo, "validate")
    assert code == 1 and f"{operator}:2:17: error: rule must be one of" in err
