"""``cmqinfra test``: the examples pass, a failing expectation is reported as a diff, expectations
the manifest cannot satisfy are diagnosed at their line, and the JUnit report says the same."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cmqinfra.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

ORDERS = """\
stack: shop
queues:
  orders-dead: {}
  orders:
    visibilityTimeout: 30
    deadLetter: {queue: orders-dead, maxReceiveCount: 2}
  plain: {}
topics:
  events:
    filterType: routingKey
    subscriptions:
      billing: {protocol: queue, endpoint: orders, bindingKeys: ["order.*.created"]}
      hook: {protocol: http, endpoint: "http://hooks.test/h", bindingKeys: ["order.#"]}
"""


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["test", *args], catch_exceptions=False)


def stack_dir(tmp_path: Path, tests: str, manifest: str = ORDERS) -> Path:
    (tmp_path / "shop.yaml").write_text(manifest, encoding="utf-8")
    (tmp_path / "shop.cmqtest.yaml").write_text(tests, encoding="utf-8")
    return tmp_path


def test_every_example_has_a_test_file_and_they_pass() -> None:
    manifests = sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.endswith(".cmqtest.yaml"))
    assert manifests
    for manifest in manifests:
        assert manifest.with_name(manifest.stem + ".cmqtest.yaml").is_file(), manifest
    result = run(str(EXAMPLES))
    assert result.exit_code == 0, result.output
    assert "0 failed" in result.output
    # One PASS per test, and per case of a parameterised test.
    from cmqinfra.flowtest.parse import load_test_file

    expected = 0
    for path in EXAMPLES.glob("*.cmqtest.yaml"):
        text = path.read_text(encoding="utf-8")
        loaded, _ = load_test_file(str(path))
        assert loaded is not None
        assert len(loaded.tests) >= text.count("  - name:")
        expected += len(loaded.tests)
    assert result.output.count("PASS  ") == expected


def test_a_manifest_path_runs_its_test_file() -> None:
    result = run(str(EXAMPLES / "orders.yaml"))
    assert result.exit_code == 0, result.output
    assert "orders.cmqtest.yaml" in result.output
    assert "order-events" not in result.output


def test_failing_expectation_is_a_diff_and_exit_1(tmp_path: Path) -> None:
    tests = """\
tests:
  - name: dead-lettered too early
    steps:
      - send: {queue: orders, message: m1}
      - receive: {queue: orders}
      - expect: {message: m1, deadLettered: orders}
  - name: this one passes
    steps:
      - send: {queue: plain, message: m2}
      - expect: {message: m2, in: [plain]}
"""
    directory = stack_dir(tmp_path, tests)
    junit = tmp_path / "report.xml"
    result = run(str(directory), "--junit-xml", str(junit))
    assert result.exit_code == 1
    test_file = directory / "shop.cmqtest.yaml"
    lines = result.output.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("FAIL  ")))
    assert lines[start].startswith(f"FAIL  {test_file}:2  dead-lettered too early  (")
    assert lines[start + 1 : start + 6] == [
        f"      {test_file}:6:9: expectation failed: message 'm1' (now in: orders)",
        "        - queue orders's dead-letter queue orders-dead holds it",
        "        + queue orders's dead-letter queue orders-dead does not hold it",
        "        - queue orders does not hold it",
        "        + queue orders holds it",
    ]
    assert any(line.startswith(f"PASS  {test_file}:7  this one passes") for line in lines)
    assert lines[-1] == "1 passed, 1 failed"
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    failed = [case for case in suite if case.find("failure") is not None]
    assert [case.get("name") for case in failed] == ["dead-lettered too early"]
    failure = failed[0].find("failure")
    assert failure is not None
    assert failure.get("message") == f"{test_file}:6:9: expectation failed: message 'm1' (now in: orders)"
    assert "+ queue orders holds it" in (failure.text or "")


def test_second_receive_dead_letters_and_push_retries_play_out(tmp_path: Path) -> None:
    tests = """\
httpEndpoints:
  http://hooks.test/h: [500]
tests:
  - name: dead-lettered at maxReceiveCount, hook never answers 2xx
    steps:
      - publish: {topic: events, message: m1, routingKey: order.eu.created}
      - receive: {queue: orders, times: 2}
      - wait: 10m
      - expect: {message: m1, deadLettered: orders, pushedTo: ["http://hooks.test/h"]}
"""
    result = run(str(stack_dir(tmp_path, tests)))
    assert result.exit_code == 1
    # EXPONENTIAL_DECAY_RETRY: tries at 0, 1, 2, 4, 8 ... seconds: ten in 10 minutes.
    assert (
        "+ not pushed to http://hooks.test/h (tries: 500, 500, 500, 500, 500, 500, 500, 500, 500, 500)"
        in (result.output)
    )
    assert "queue orders's dead-letter queue orders-dead holds it" in result.output
    assert "+ queue orders's dead-letter" not in result.output


@pytest.mark.parametrize(
    ("tests", "line_col", "message"),
    [
        (
            "tests:\n  - name: t\n    steps:\n"
            "      - publish: {topic: events, message: m, routingKey: order.eu.paid}\n"
            "      - expect: {message: m, in: [orders]}\n",
            "5:35",
            "queue 'orders' cannot receive this message: it is published to topic 'events' with routing key "
            "'order.eu.paid'; subscription 'billing' skips it: binding key \"order.*.created\" "
            'does not match "order.eu.paid": word 3 is "paid", not "created"',
        ),
        (
            "tests:\n  - name: t\n    steps:\n      - send: {queue: plain, message: m}\n"
            "      - expect: {message: m, in: [orders-dead]}\n",
            "5:35",
            "queue 'orders-dead' cannot receive this message: it is sent to queue 'plain'; "
            "no subscription or dead-letter policy leads there",
        ),
        (
            "tests:\n  - name: t\n    steps:\n      - send: {queue: plain, message: m}\n"
            "      - expect: {message: m, deadLettered: plain}\n",
            "5:44",
            "queue 'plain' has no deadLetter policy in the manifest",
        ),
        (
            "tests:\n  - name: t\n    steps:\n      - send: {queue: nope, message: m}\n",
            "4:23",
            "queue 'nope' is not in stack 'shop' (hint: queues: orders, orders-dead, plain)",
        ),
        (
            "tests:\n  - name: t\n    steps:\n      - send: {queue: plain, message: m}\n"
            "      - expect: {message: other, in: [plain]}\n",
            "5:27",
            "message 'other' is not sent or published by an earlier step of this test",
        ),
        (
            "tests:\n  - name: t\n    steps:\n      - publish: {topic: events, message: m, tags: [a]}\n",
            "4:9",
            "topic 'events' filters by routing key: give routingKey, not tags",
        ),
        (
            "tests:\n  - name: t\n    steps:\n      - publish: {topic: events, message: m, routingKey: x}\n"
            "      - expect: {message: m, pushedTo: ['http://other.test/']}\n",
            "5:41",
            "no http subscription in stack 'shop' pushes to http://other.test/",
        ),
        (
            "tests:\n  - name: t\n    steps:\n      - sned: {queue: plain, message: m}\n",
            "4:9",
            "unknown step 'sned': write exactly one of send, publish, receive, wait, expect",
        ),
        (
            "tests:\n  - name: t\n    steps:\n      - receive: {queue: plain, times: 0}\n",
            "4:40",
            "times must be at least 1 (got 0)",
        ),
        (
            "tests:\n  - name: t\n    steps:\n      - wait: 5 minutes\n",
            "4:15",
            'wait must be seconds (a number) or a duration like 90s, 5m, 2h, 1d (got "5 minutes")',
        ),
    ],
)
def test_contradictions_and_mistakes_are_located(
    tmp_path: Path, tests: str, line_col: str, message: str
) -> None:
    directory = stack_dir(tmp_path, tests)
    result = CliRunner().invoke(cli, ["test", str(directory)], catch_exceptions=False)
    assert result.exit_code == 1
    where = f"{directory / 'shop.cmqtest.yaml'}:{line_col}: error: "
    matching = [line for line in result.stderr.splitlines() if line.startswith(where)]
    assert matching, result.stderr
    assert message in matching[0]
    assert "Traceback" not in result.output
    assert "PASS" not in result.stdout


def test_directory_stack_skips_its_test_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("stack: dir\nqueues:\n  q: {}\n", encoding="utf-8")
    (tmp_path / "flow.cmqtest.yaml").write_text(
        "tests:\n  - name: t\n    steps:\n      - send: {queue: q, message: m}\n"
        "      - expect: {message: m, in: [q]}\n",
        encoding="utf-8",
    )
    # No flow.yaml beside flow.cmqtest.yaml: the whole directory is the stack.
    result = run(str(tmp_path))
    assert result.exit_code == 0, result.output
    validated = CliRunner().invoke(cli, ["validate", str(tmp_path)], catch_exceptions=False)
    assert validated.exit_code == 0, validated.output


def test_no_test_files_is_an_error(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 1
    assert "no *.cmqtest.yaml test files here" in result.stderr


def test_shipped_schema_is_the_package_schema() -> None:
    shipped = json.loads((ROOT / "schemas" / "cmqtest.schema.json").read_text(encoding="utf-8"))
    packaged = json.loads((ROOT / "cmqinfra" / "schemas" / "cmqtest.schema.json").read_text(encoding="utf-8"))
    assert shipped == packaged


def test_declared_manifests_filter_and_an_unrunnable_file_in_junit(tmp_path: Path) -> None:
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "shop.yaml").write_text(ORDERS, encoding="utf-8")
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "a.cmqtest.yaml").write_text(
        "manifests: [../infra]\ntests:\n"
        "  - name: keep me\n    steps:\n      - send: {queue: plain, message: m}\n"
        "      - expect: {message: m, in: [plain]}\n"
        "  - name: skip me\n    steps:\n      - send: {queue: plain, message: m}\n"
        "      - expect: {message: m, notIn: [plain]}\n",
        encoding="utf-8",
    )
    (flows / "b.cmqtest.yaml").write_text(
        "manifests: [../infra]\ntests:\n  - name: t\n    steps:\n      - send: {queue: ghost, message: m}\n",
        encoding="utf-8",
    )
    junit = tmp_path / "junit.xml"
    result = run(str(flows / "a.cmqtest.yaml"), "--filter", "keep")
    assert result.exit_code == 0, result.output
    assert "keep me" in result.output and "skip me" not in result.output
    result = run(str(flows), "--junit-xml", str(junit))
    assert result.exit_code == 1
    suites = {s.get("name"): s for s in ET.parse(junit).getroot()}
    errored = suites[str(flows / "b.cmqtest.yaml")]
    assert errored.get("errors") == "1"
    error = errored.find("testcase/error")
    assert error is not None
    assert error.get("message") == "not run: 1 error(s) in the test file or its manifests"
    assert f"{flows / 'b.cmqtest.yaml'}:5:23: error: queue 'ghost' is not in stack 'shop'" in (
        error.text or ""
    )
    failed = suites[str(flows / "a.cmqtest.yaml")]
    assert (failed.get("tests"), failed.get("failures")) == ("2", "1")
