"""--changed-since GIT_REF on a real temporary git repository: which stacks a change affects."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cmq, git, write

CONFIG = """
    variables:
      retention: {type: integer, default: 3600}
      team: {type: string, default: core}
    environments:
      dev: {namePrefix: dev-, valueFiles: [env/dev.yaml]}
      prod: {valueFiles: [env/prod.yaml]}
    stacks:
      payments: {path: stacks/payments}
      orders: {path: stacks/orders}
      audit: {path: stacks/audit}
    """


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    write(tmp_path, {
        "cmqinfra.yaml": CONFIG,
        "env/dev.yaml": "retention: 600\n",
        "env/prod.yaml": "retention: 7200\nteam: prod-team\n",
        "stacks/payments/a.yaml": "stack: payments\nqueues:\n"
                                  "  pay: {msgRetentionSeconds: \"${var.retention}\"}\n",
        "stacks/orders/o.yaml": "stack: orders\nqueues:\n  orders: {tags: {team: \"${var.team}\"}}\n",
        "stacks/audit/a.yaml": "stack: audit\ntopics:\n  audit: {}\n",
        "README.md": "infra\n",
    })
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "checkout", "-qb", "change")
    return tmp_path


def affected(repo: Path, ref: str = "main") -> list[str]:
    code, out, err = cmq(repo, "validate", "--changed-since", ref)
    assert code == 0, err
    return [line.split(":")[1].strip() for line in out.splitlines()]


def test_nothing_changed_affects_nothing(repo: Path) -> None:
    write(repo, {"README.md": "more\n"})
    assert affected(repo) == []


def test_a_committed_edit_of_one_stack_file(repo: Path) -> None:
    write(repo, {"stacks/audit/a.yaml": "stack: audit\ntopics:\n  audit: {trace: true}\n"})
    git(repo, "commit", "-qam", "trace")
    assert affected(repo) == ["audit[dev]", "audit[prod]"]


def test_a_new_untracked_file_in_a_stack_directory(repo: Path) -> None:
    write(repo, {"stacks/orders/more.yaml": "stack: orders\nqueues:\n  more: {}\n"})
    assert affected(repo) == ["orders[dev]", "orders[prod]"]


def test_a_value_file_affects_only_the_stacks_using_the_changed_value(repo: Path) -> None:
    write(repo, {"env/prod.yaml": "retention: 7200\nteam: other-team\n"})
    assert affected(repo) == ["orders[prod]"]
    write(repo, {"env/dev.yaml": "retention: 900\n"})
    assert affected(repo) == ["payments[dev]", "orders[prod]"]


def test_the_project_file_entry_of_a_stack_or_environment(repo: Path) -> None:
    text = (repo / "cmqinfra.yaml").read_text()
    write(repo, {"cmqinfra.yaml": text.replace("dev: {namePrefix: dev-,", "dev: {namePrefix: d-,")})
    assert affected(repo) == ["payments[dev]", "orders[dev]", "audit[dev]"]
    write(repo, {"cmqinfra.yaml": text.replace("team: {type: string, default: core}",
                                                "team: {type: string, default: platform}")})
    assert affected(repo) == ["orders[dev]", "orders[prod]"]


def test_changes_since_the_merge_base_not_the_moving_main(repo: Path) -> None:
    write(repo, {"stacks/audit/a.yaml": "stack: audit\ntopics:\n  audit: {trace: true}\n"})
    git(repo, "commit", "-qam", "ours")
    git(repo, "checkout", "-q", "main")
    write(repo, {"stacks/payments/b.yaml": "stack: payments\nqueues:\n  other: {}\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "theirs")
    git(repo, "checkout", "-q", "change")
    assert affected(repo) == ["audit[dev]", "audit[prod]"]


def test_an_unknown_ref_is_one_clear_error(repo: Path) -> None:
    code, out, err = cmq(repo, "plan", "--changed-since", "no-such-branch")
    assert code == 1
    assert err.strip().endswith("error: --changed-since: git merge-base: fatal: Not a valid object name "
                                "no-such-branch")


def test_a_stack_removed_from_the_project_file_is_named(repo: Path) -> None:
    text = (repo / "cmqinfra.yaml").read_text()
    write(repo, {"cmqinfra.yaml": text.replace("  audit: {path: stacks/audit}\n", "")})
    code, out, err = cmq(repo, "validate", "--changed-since", "main")
    assert code == 0
    assert "warning: stack 'audit' was removed from cmqinfra.yaml since main" in err
    assert out == ""


def test_a_removed_stack_is_a_warning_in_the_comment_with_what_to_do(repo: Path) -> None:
    text = (repo / "cmqinfra.yaml").read_text()
    write(repo, {"cmqinfra.yaml": text.replace("  audit: {path: stacks/audit}\n", "")})
    code, out, err = cmq(repo, "plan", "--local", "--changed-since", "main", "--format", "markdown")
    assert code == 0, err
    assert ("> [!WARNING]\n> Stack `audit` was removed from `cmqinfra.yaml`: what it owns is no longer "
            "managed and is left as it is. To delete it, put the stack back and run "
            "`cmqinfra destroy --stack audit` first; to keep it under another stack, give that stack "
            "`renamedFrom: audit` (or `moved` entries).") in out
    assert "plan its old path" not in err


def test_a_renamed_stack_is_said_renamed_not_removed(repo: Path) -> None:
    text = (repo / "cmqinfra.yaml").read_text()
    (repo / "stacks/audit/a.yaml").unlink()
    write(repo, {
        "cmqinfra.yaml": text.replace("  audit: {path: stacks/audit}\n",
                                      "  journal: {path: stacks/journal}\n"),
        "stacks/journal/j.yaml": "stack: journal\nrenamedFrom: audit\ntopics:\n  audit: {}\n",
    })
    code, out, err = cmq(repo, "plan", "--local", "--changed-since", "main", "--format", "markdown")
    assert code == 0, err
    assert "warning" not in err and "[!WARNING]" not in out
    assert ("note: stack 'audit' was removed from cmqinfra.yaml since main: stack 'journal' takes what it "
            "owned (renamedFrom)") in err
    assert ("Stack `audit` was renamed to `journal` (`renamedFrom`): `journal`'s plan takes what it "
            "owned.") in out
