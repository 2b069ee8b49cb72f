"""Every outcome has a PR-ready rendering, and a plan with errors never says "No changes"."""

from __future__ import annotations

import json
from pathlib import Path

from cmqinfra.emulator import Emulator
from tests.review.helpers import CallLog, run, sdk_client, write

BROKEN = """\
    stack: broken
    queues:
      jobs: {visibilityTimeout: 0}
    topics:
      events:
        subscriptions:
          hook: {protocol: http, endpoint: "https://"}
"""


def test_validate_markdown_and_json_on_errors(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.yaml", BROKEN)
    md = run("validate", path, "--format", "markdown")
    assert md.code == 1
    lines = md.stdout.splitlines()
    assert lines[0] == "### :x: cmqinfra validate failed"
    assert "**2 errors in the manifest**" in md.stdout
    assert f"- `{path}:3:29: error: visibilityTimeout must be at least 1 (got 0)`" in lines
    doc = json.loads(run("validate", path, "--format", "json").stdout)
    assert doc["valid"] is False and doc["error_count"] == 2
    assert [(d["range"]["filename"], d["range"]["start"]["line"]) for d in doc["diagnostics"]] == [
        (path, 3),
        (path, 7),
    ]


def test_plan_markdown_and_json_on_manifest_errors(emu: Emulator, calls: CallLog, tmp_path: Path) -> None:
    path = write(tmp_path / "broken.yaml", BROKEN)
    md = run("plan", path, "--endpoint", emu.url, "--format", "markdown")
    assert md.code == 1
    assert md.stdout.startswith("### :x: cmqinfra plan failed")
    assert "error: an http subscription's endpoint must name a host" in md.stdout
    doc = json.loads(run("plan", path, "--endpoint", emu.url, "--format", "json").stdout)
    assert doc["valid"] is False and len(doc["diagnostics"]) == 2
    assert doc["diagnostics"][1]["range"]["start"] == {"line": 7, "column": 40}
    # The read of what the stack owns starts from its `stack:` line while the manifest loads (see
    # cmqinfra/run/overlap.py), so a broken manifest may cost those listings; nothing else is sent.
    assert set(calls.actions) <= {"DescribeCmqQueues", "DescribeCmqTopics", "DescribeCmqSubscriptionDetail"}


def test_a_refused_plan_never_says_no_changes(emu: Emulator, tmp_path: Path) -> None:
    # Another stack owns the queue: no change can be made, and the plan is refused.
    other = write(tmp_path / "other.yaml", "stack: other\nqueues:\n  jobs: {}\n")
    assert run("apply", other, "--endpoint", emu.url, "--auto-approve").code == 0
    mine = write(tmp_path / "mine.yaml", "stack: mine\nqueues:\n  jobs: {}\n")
    text = run("plan", mine, "--endpoint", emu.url)
    assert text.code == 1
    assert "No changes" not in text.output
    assert (
        "planned no changes (stack mine, region ap-guangzhou from the emulator's default), "
        "but the plan was refused" in text.stdout
    )
    assert "is owned by stack 'other'" in text.stdout
    md = run("plan", mine, "--endpoint", emu.url, "--format", "markdown")
    assert md.code == 1 and "No changes" not in md.stdout
    assert md.stdout.splitlines()[0].startswith("## :x: cmqinfra plan for stack `mine`")
    assert "**1 stack(s) refused or failed: nothing can be applied.**" in md.stdout
    assert "> - ✗ **refused**: `" in md.stdout and "is owned by stack" in md.stdout
    doc = json.loads(run("plan", mine, "--endpoint", emu.url, "--format", "json").stdout)
    assert doc["applicable"] is False and doc["diagnostics"][0]["severity"] == "error"


def test_out_into_a_missing_directory_is_one_line_and_no_call(
    emu: Emulator, calls: CallLog, tmp_path: Path
) -> None:
    path = write(tmp_path / "ok.yaml", "stack: ok\nqueues:\n  jobs: {}\n")
    out = run("plan", "--endpoint", emu.url, path, "--out", "nodir/p.plan")
    assert out.code == 1
    assert out.stderr.strip() == (
        "error: cannot write the plan to nodir/p.plan: directory nodir does not exist"
    )
    assert calls.actions == []
    local = run("plan", "--local", path, "--out", "nodir/p.plan")
    assert local.code == 1 and "Traceback" not in local.output
    assert "directory nodir does not exist" in local.stderr


def test_https_without_a_host_is_refused_by_validate_at_its_line(tmp_path: Path) -> None:
    path = write(tmp_path / "hook.yaml", """\
        stack: hooks
        topics:
          events:
            subscriptions:
              spaced: {protocol: http, endpoint: "http://example.com/a path"}
              empty: {protocol: http, endpoint: "https://"}
    """)
    out = run("validate", path)
    assert out.code == 1
    assert out.stderr.splitlines() == [
        f"{path}:5:42: error: an http subscription's endpoint must not contain spaces "
        '(got "http://example.com/a path")',
        f'{path}:6:41: error: an http subscription\'s endpoint must name a host (got "https://")',
    ]


def test_an_adoption_that_changes_attributes_counts_as_a_change(emu: Emulator, tmp_path: Path) -> None:
    sdk_client(emu).call_json("CreateCmqQueue", {"QueueName": "legacy", "VisibilityTimeout": 99})
    path = write(tmp_path / "adopt.yaml", "stack: adopt\nqueues:\n  legacy: {visibilityTimeout: 30}\n")
    out = run("plan", path, "--endpoint", emu.url)
    assert "Plan: 0 to add, 1 to change, 0 to destroy, 1 to adopt." in out.stdout
    same = write(tmp_path / "adopt.yaml", "stack: adopt\nqueues:\n  legacy: {visibilityTimeout: 99}\n")
    unchanged = run("plan", same, "--endpoint", emu.url)
    assert "Plan: 0 to add, 0 to change, 0 to destroy, 1 to adopt." in unchanged.stdout


def test_validate_catches_tag_values_the_service_refuses(emu: Emulator, tmp_path: Path) -> None:
    many = ", ".join(f"k{i}: v" for i in range(49))
    path = write(tmp_path / "tags.yaml", f"""\
        stack: tagged
        queues:
          empty: {{tags: {{team: ""}}}}
          fits: {{tags: {{{many}}}}}
          full: {{protect: true, tags: {{{many}}}}}
    """)
    out = run("validate", path)
    assert out.code == 1
    assert out.stderr.splitlines() == [
        f'{path}:3:11: error: tag "team" has an empty value: the Tag service needs 1 to 255 characters',
        f'{path}:5:25: error: queue "full" has 49 tags; with cmqinfra\'s own 2 that is more than the 50 a '
        "resource may carry",
    ]
    # What validate lets through, the emulator takes: 49 user tags and the ownership tag.
    fits = write(tmp_path / "fits.yaml", f"stack: tagged\nqueues:\n  fits: {{tags: {{{many}}}}}\n")
    assert run("apply", fits, "--endpoint", emu.url, "--auto-approve").code == 0
