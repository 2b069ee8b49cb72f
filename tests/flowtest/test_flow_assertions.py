"""The flow-test assertions teams need, each shown holding and failing as a diff: expected
failures, counts and duplicates, state and dequeue count, order, unacknowledged receives past
the visibility timeout, rewind and attribute changes mid-test, push format and attempts,
parameterised cases; a filter that matches nothing; realistic delivery, reproducibly."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from cmqinfra.cli import cli

MANIFEST = """\
stack: shop
queues:
  dead: {}
  work:
    visibilityTimeout: 30
    rewindSeconds: 3600
    retentionSizeInMB: 10240
    deadLetter: {queue: dead, maxReceiveCount: 3}
topics:
  events:
    subscriptions:
      hook: {protocol: http, endpoint: "http://hooks.test/h", notifyContentFormat: SIMPLIFIED}
      copy: {protocol: queue, endpoint: work}
"""


def run(tmp_path: Path, tests: str, *args: str) -> Result:
    (tmp_path / "shop.yaml").write_text(MANIFEST, encoding="utf-8")
    (tmp_path / "shop.cmqtest.yaml").write_text(tests, encoding="utf-8")
    return CliRunner().invoke(cli, ["test", str(tmp_path), *args], catch_exceptions=False)


def _one(steps: str) -> str:
    lines = "".join(f"      - {line}\n" for line in steps.strip().splitlines())
    return "tests:\n  - name: t\n    steps:\n" + lines


def test_an_expected_failure_holds_and_its_absence_fails(tmp_path: Path) -> None:
    ok = run(tmp_path, _one("rewind: {queue: dead, fails: FailedOperation}"))
    assert ok.exit_code == 0, ok.output
    wrong = run(tmp_path, _one("rewind: {queue: work, fails: FailedOperation}"))
    assert wrong.exit_code == 1
    assert "- refused with FailedOperation\n        + succeeded" in wrong.output
    other = run(tmp_path, _one("rewind: {queue: dead, fails: ResourceNotFound}"))
    assert other.exit_code == 1 and "+ refused with FailedOperation: " in other.output


def test_counts_order_and_duplicates(tmp_path: Path) -> None:
    steps = """
send: {queue: work, message: a}
send: {queue: work, message: b}
send: {queue: work, message: c, delaySeconds: 10}
count: {queue: work, visible: 2, delayed: 1, inFlight: 0, total: 3}
receive: {queue: work, keep: true, expect: [a, b], count: 2}
count: {queue: work, visible: 0, inFlight: 2, delayed: 1}
expect: {message: a, copies: 1, state: inFlight, dequeueCount: 1}
"""
    assert run(tmp_path, _one(steps)).exit_code == 0
    bad = run(tmp_path, _one(steps.replace("expect: [a, b], count: 2", "expect: [b, a], count: 1")
                             .replace("inFlight: 2", "inFlight: 1").replace("copies: 1", "copies: 2")))
    assert bad.exit_code == 1
    for line in ("- handed out ['b', 'a']", "+ handed out ['a', 'b']", "- 1 message(s) handed out",
                 "- 1 in flight", "+ 2 in flight", "- 2 copies held", "+ 1 copy held"):
        assert line in bad.output, bad.output


def test_an_unacknowledged_receive_past_the_visibility_timeout(tmp_path: Path) -> None:
    steps = """
send: {queue: work, message: slow}
receive: {queue: work, keep: true}
wait: 31s
expect: {message: slow, state: visible, dequeueCount: 1}
delete: {queue: work, message: slow, fails: InvalidParameterValue}
"""
    assert run(tmp_path, _one(steps)).exit_code == 0
    early = run(tmp_path, _one(steps.replace("wait: 31s", "wait: 29s")))
    assert early.exit_code == 1
    assert "- visible in work\n        + inFlight in work" in early.output
    assert "- refused with InvalidParameterValue\n        + succeeded" in early.output


def test_rewind_and_attribute_changes_mid_test(tmp_path: Path) -> None:
    steps = """
send: {queue: work, message: r}
receive: {queue: work, delete: true}
rewind: {queue: work}
expect: {message: r, state: visible, dequeueCount: 1}
setQueue: {queue: work, visibilityTimeout: 5}
receive: {queue: work}
expect: {message: r, state: visible, dequeueCount: 2}
"""
    result = run(tmp_path, _one(steps))
    assert result.exit_code == 0, result.output
    assert "(0.0" in result.output and "5s on the virtual clock" in result.output  # the new timeout


def test_push_format_and_attempts(tmp_path: Path) -> None:
    head = 'httpEndpoints:\n  "http://hooks.test/h": [500, 200]\n'
    steps = """
publish: {topic: events, message: hi}
wait: 5s
expect: {message: hi, pushes: [{endpoint: "http://hooks.test/h", attempts: 2, format: PUSHED}]}
""".replace("PUSHED", "SIMPLIFIED")
    assert run(tmp_path, head + _one(steps)).exit_code == 0
    wrong = steps.replace("attempts: 2", "attempts: 1").replace("SIMPLIFIED", "JSON")
    bad = run(tmp_path, head + _one(wrong))
    assert "- 1 push try to http://hooks.test/h\n        + 2 push tries" in bad.output
    assert "- pushed as JSON to http://hooks.test/h\n        + pushed as SIMPLIFIED" in bad.output


def test_parameterised_cases_run_once_each_and_report_their_values(tmp_path: Path) -> None:
    tests = """\
tests:
  - name: "${m} goes through"
    cases: [{m: one}, {m: two}, {m: three}]
    steps:
      - send: {queue: work, message: "${m}"}
      - receive: {queue: work, delete: true, expect: ["${m}"]}
"""
    result = run(tmp_path, tests)
    assert result.exit_code == 0, result.output
    assert "two goes through [m=two]" in result.output and "3 passed" in result.output
    missing = run(tmp_path, tests.replace("{m: two}", "{n: two}"))
    assert missing.exit_code == 1 and "${m} is not given by every case of this test" in missing.output


def test_a_filter_matching_nothing_exits_1(tmp_path: Path) -> None:
    result = run(tmp_path, _one("send: {queue: work, message: a}"), "--filter", "typo")
    assert result.exit_code == 1
    assert "--filter 'typo' matches no test name" in result.stderr


def test_realistic_delivery_is_reproducible_and_finds_order_dependence(tmp_path: Path) -> None:
    sends = "".join(f"send: {{queue: work, message: m{i}}}\n" for i in range(12))
    listed = ", ".join(f"m{i}" for i in range(12))
    steps = sends + f"receive: {{queue: work, delete: true, expect: [{listed}]}}"
    assert run(tmp_path, _one(steps)).exit_code == 0
    first = run(tmp_path, _one(steps), "--delivery", "realistic", "--seed", "9")
    second = run(tmp_path, _one(steps), "--delivery", "realistic", "--seed", "9")
    assert first.exit_code == 1 and "expectation failed: receive from queue work" in first.output
    assert "--seed 9" in first.stderr
    strip = [line for line in first.output.splitlines() if "virtual clock" not in line]
    assert strip == [line for line in second.output.splitlines() if "virtual clock" not in line]


def test_a_case_value_cannot_drive_the_terminal(tmp_path: Path) -> None:
    tests = """\
tests:
  - name: "case ${v}"
    cases: [{v: "x\\e[2J\\e[H"}]
    steps:
      - send: {queue: work, message: "a"}
      - count: {queue: work, visible: 2}
"""
    result = run(tmp_path, tests)
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\\x1b[2J" in result.output
