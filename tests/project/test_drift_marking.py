"""Drift marking end to end: a value changed outside cmqinfra (through the SDK, as in the console)
is marked "changed outside cmqinfra" with its attribute, in text, JSON and markdown, for a project
(--changed-since's base, or --baseline) and for one stack (--baseline); the pull request's own
change is not marked."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import cmq, git, sdk, write

from cmqinfra.emulator import Emulator


def _commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def test_project_plan_marks_what_changed_outside_and_only_that(
    repo: Path, emulators: dict[str, Emulator]
) -> None:
    write(repo, {".gitignore": "*.plan\n*.md\n"})
    git(repo, "init", "-q")
    _commit(repo, "base")
    code, _, err = cmq(repo, "apply", "--auto-approve")
    assert code == 0, err
    # Someone edits prod's `orders` queue in the console; the pull request changes `refunds`.
    sdk(emulators["prod"]).call_json("ModifyCmqQueueAttribute",
                                     {"QueueName": "orders", "VisibilityTimeout": 300})
    git(repo, "checkout", "-qb", "change")
    refunds = repo / "stacks/payments/refunds.yaml"
    refunds.write_text(refunds.read_text().replace("refunds: {", "refunds: {pollingWaitSeconds: 5, "))
    stack = repo / "stacks/orders/orders.yaml"
    stack.write_text(stack.read_text().replace("msgRetentionSeconds: 7200", "msgRetentionSeconds: 7300"))
    _commit(repo, "change")

    code, out, err = cmq(repo, "plan", "--changed-since", "main", "--env", "prod", "--format", "markdown",
                         "--out", "p.plan")
    assert code == 0, err
    assert ("> - `orders[prod]`: `queue/orders` `visibilityTimeout` **changed outside cmqinfra**: "
            "live `300`, this plan sets `30`") in out
    assert "msgRetentionSeconds` **changed outside" not in out  # the pull request's own change
    assert "pollingWaitSeconds` **changed outside" not in out
    code, text, _ = cmq(repo, "plan", "--changed-since", "main", "--env", "prod")
    assert "~ visibilityTimeout = 300 -> 30  # changed outside cmqinfra" in text
    assert "~ msgRetentionSeconds = 7200 -> 7300\n" in text
    code, doc, _ = cmq(repo, "plan", "--changed-since", "main", "--env", "prod", "--format", "json")
    orders = next(u for u in json.loads(doc)["units"] if u["stack"] == "orders")
    marks = {a["path"]: a["changed_outside_cmqinfra"]
             for c in orders["plan"]["resource_changes"] for a in c["change"]["attribute_changes"]}
    assert marks == {"visibilityTimeout": True, "msgRetentionSeconds": False}
    # Without a baseline nothing is marked; with --baseline HEAD (a drift check) every change is.
    code, text, _ = cmq(repo, "plan", "--env", "prod")
    assert "changed outside cmqinfra" not in text
    code, text, _ = cmq(repo, "plan", "--env", "prod", "--baseline", "HEAD")
    assert "~ msgRetentionSeconds = 7200 -> 7300  # changed outside cmqinfra" in text
    # A baseline that is not a commit is one line, not a traceback.
    code, _, err = cmq(repo, "plan", "--env", "prod", "--baseline", "no-such-ref")
    assert code == 1 and "--baseline" in err and "Traceback" not in err


def test_one_stack_plan_marks_drift_from_the_baseline(
    tmp_path: Path, emulators: dict[str, Emulator]
) -> None:
    emu = emulators["dev"]
    manifest = f"stack: shop\nregion: {emu.region}\nqueues:\n  a: {{visibilityTimeout: 30}}\n"
    write(tmp_path, {"shop.yaml": manifest})
    git(tmp_path, "init", "-q")
    _commit(tmp_path, "base")
    code, _, err = cmq(tmp_path, "apply", "shop.yaml", "--endpoint", emu.url, "--auto-approve")
    assert code == 0, err
    sdk(emu).call_json("ModifyCmqQueueAttribute", {"QueueName": "a", "VisibilityTimeout": 90})
    code, md, err = cmq(tmp_path, "plan", "shop.yaml", "--endpoint", emu.url, "--baseline", "HEAD",
                        "--format", "markdown")
    assert code == 0, err
    assert ("> - `queue/a` `visibilityTimeout` **changed outside cmqinfra**: live `90`, this plan sets `30`"
            in md)
    code, text, _ = cmq(tmp_path, "plan", "shop.yaml", "--endpoint", emu.url)
    assert "changed outside" not in text
    # the marks are saved with the plan: `show` renders them again, offline
    code, _, err = cmq(tmp_path, "plan", "shop.yaml", "--endpoint", emu.url, "--baseline", "HEAD",
                       "--out", "p.plan")
    assert code == 0, err
    code, shown, _ = cmq(tmp_path, "show", "p.plan", "--format", "markdown")
    assert "`visibilityTimeout` **changed outside cmqinfra**: live `90`, this plan sets `30`" in shown
    # a baseline is a git reference, never an option smuggled into git's command line
    code, _, err = cmq(tmp_path, "plan", "shop.yaml", "--endpoint", emu.url, "--baseline=--output=x")
    assert code == 1 and "is not a git reference" in err and not (tmp_path / "x").exists()


def test_the_baseline_tree_keeps_links_and_climbing_paths_out(tmp_path: Path) -> None:
    import io
    import tarfile

    from cmqinfra.project.baseline import _extract

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("stacks/a.yaml", b"stack: a\n"), ("../escape.yaml", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("stacks/secret.yaml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    into = tmp_path / "tree"
    into.mkdir()
    _extract(buffer.getvalue(), into)
    assert (into / "stacks/a.yaml").read_text() == "stack: a\n"
    assert not (into / "stacks/secret.yaml").exists() and not (tmp_path / "escape.yaml").exists()
