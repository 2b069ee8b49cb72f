"""The small slips: hidden files and broken links in stack directories, export overwriting,
the untagged-resources warning."""

from __future__ import annotations

from pathlib import Path

from cmqinfra.emulator import Emulator
from tests.review.helpers import CallLog, run, sdk_client, write


def test_hidden_files_and_editor_leftovers_are_not_part_of_the_stack(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    write(stack / "main.yaml", "stack: tidy\nqueues:\n  jobs: {}\n")
    write(stack / ".old.yaml", "stack: tidy\nqueues:\n  stale: {}\n")
    write(stack / ".#main.yaml", "not: [yaml")
    write(stack / "main.yaml~", "stack: tidy\nqueues:\n  backup: {}\n")
    out = run("validate", str(stack))
    assert (out.code, out.stdout, out.stderr) == (0, "ok: tidy: 1 queue, 0 topics, 0 subscriptions\n", "")


def test_a_broken_symlink_is_an_error_naming_it(tmp_path: Path) -> None:
    stack = tmp_path / "stack"
    write(stack / "main.yaml", "stack: linked\nqueues:\n  jobs: {}\n")
    (stack / "shared.yaml").symlink_to(tmp_path / "missing.yaml")
    out = run("validate", str(stack))
    assert out.code == 1
    assert out.stderr.strip() == (
        f"{stack / 'shared.yaml'}:1:1: error: broken symbolic link: {stack / 'shared.yaml'} points to "
        f"{tmp_path / 'missing.yaml'}, which does not exist"
    )


def test_export_refuses_to_overwrite_without_force(emu: Emulator, calls: CallLog, tmp_path: Path) -> None:
    sdk_client(emu).call_json("CreateCmqQueue", {"QueueName": "legacy"})
    target = tmp_path / "infra" / "legacy.yaml"
    write(target, "# my own notes\n")
    calls.clear()
    out = run("export", "--all", "--stack", "legacy", "--endpoint", emu.url, "-o", str(target))
    assert out.code == 1
    assert f"{target} already exists; nothing was written (pass --force to overwrite it)" in out.stderr
    assert target.read_text() == "# my own notes\n" and calls.actions == []
    forced = run("export", "--all", "--stack", "legacy", "--endpoint", emu.url, "-o", str(target), "--force")
    assert forced.code == 0, forced.output
    assert "  legacy:\n" in target.read_text() and "my own notes" not in target.read_text()


def test_untagged_resources_are_counted_in_the_plan(emu: Emulator, tmp_path: Path) -> None:
    client = sdk_client(emu)
    for name in ("stray-a", "stray-b", "adoptee"):
        client.call_json("CreateCmqQueue", {"QueueName": name})
    client.call_json("CreateCmqTopic", {"TopicName": "stray-topic"})
    other = write(tmp_path / "other.yaml", "stack: other\nqueues:\n  theirs: {}\n")
    assert run("apply", other, "--endpoint", emu.url, "--auto-approve").code == 0
    path = write(tmp_path / "mine.yaml", "stack: mine\nqueues:\n  adoptee: {}\n")
    out = run("plan", path, "--endpoint", emu.url)
    assert out.code == 0, out.output
    assert out.stdout.splitlines()[0] == (
        "warning: 3 untagged queue(s)/topic(s) seen that the manifest does not declare; they are left alone"
    )
