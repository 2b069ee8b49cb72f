"""The CI recipes' own cmqinfra command lines, run against the emulator (no CI system needed).

A repository of two stacks, applied; a pull request changes one of them. The recipe's pull-request
commands plan only that stack into one comment and one saved plan; its merge commands apply that
plan; then nothing is left to do.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "project"))
from cli_helpers import EXAMPLES, example_manifests, run  # noqa: E402
from helpers import git, queues, write  # noqa: E402
from recipes import GITHUB, GITLAB, RecipeCommand, cmqinfra_commands  # noqa: E402

BASE_REFS = ("$BASE_SHA", "$CI_MERGE_REQUEST_DIFF_BASE_SHA")


def run_recipe_command(command: RecipeCommand, base: str) -> None:
    args = list(command.args)
    for ref in BASE_REFS:
        args = [base if a == ref else a for a in args]
    # the data-loss approval flag, empty without the label
    args = [a for a in args if a not in ("$flags", "$DATA_LOSS")]
    assert not any(a.startswith("$") for a in args), args  # every variable is known to the test
    out = run(*args)
    if command.stdout_to:
        Path(command.stdout_to).write_text(out.stdout)
    assert out.code == 0, f"cmqinfra {' '.join(args)}: {out.stderr}"


def schema_comment_ok(manifest: Path) -> bool:
    first = manifest.read_text().splitlines()[0]
    if not first.startswith("# yaml-language-server: $schema="):
        return False
    target = first.split("=", 1)[1].strip()
    return target.startswith("http") or (manifest.parent / target).resolve().is_file()


def test_every_example_carries_the_schema_comment() -> None:
    examples = example_manifests()
    assert examples, f"no examples under {EXAMPLES}"
    assert [p.name for p in examples if not schema_comment_ok(p)] == []


def two_stack_repository(root: Path, emulator: Emulator) -> str:
    """A project of two stacks on ``emulator``, committed and applied; returns the base commit."""
    write(
        root,
        {
            "cmqinfra.yaml": f"""
            version: 1
            environments:
              prod: {{region: {emulator.region}, endpoint: {emulator.url}}}
            stacks:
              payments: {{path: stacks/payments}}
              orders: {{path: stacks/orders}}
            """,
            "stacks/payments/payments.yaml": "stack: payments\nqueues:\n  payments: {}\n",
            "stacks/orders/orders.yaml": "stack: orders\nqueues:\n  orders: {}\n",
            ".gitignore": "cmqinfra.plan\nplan.md\n",
        },
    )
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "two stacks")
    assert run("apply", "--auto-approve").code == 0
    git(root, "checkout", "-qb", "change")
    (root / "stacks/payments/payments.yaml").write_text(
        "stack: payments\nqueues:\n  payments: {}\n  refunds: {visibilityTimeout: 60}\n"
    )
    git(root, "commit", "-qam", "a refunds queue")
    return git(root, "merge-base", "main", "HEAD").strip()


def by_job(recipe: Path) -> dict[str, list[RecipeCommand]]:
    jobs: dict[str, list[RecipeCommand]] = {}
    for c in cmqinfra_commands(recipe):
        jobs.setdefault(c.job, []).append(c)
    return jobs


@pytest.mark.parametrize("recipe", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_pull_request_then_merge(
    recipe: Path, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    monkeypatch.chdir(tmp_path)
    repo.mkdir()
    monkeypatch.chdir(repo)
    base = two_stack_repository(repo, emulator)
    jobs = by_job(recipe)

    # pull request: validate, then plan once, saving the plan and writing the one comment
    for job in ["plan"] if recipe is GITHUB else ["validate", "plan:mr"]:
        for command in jobs[job]:
            run_recipe_command(command, base)
    # small: nothing cut (the comment also ends with the saved plan's digest)
    assert Path("plan.md").read_text().startswith(Path("plan-full.md").read_text())
    assert "Saved plan digest: `sha256:" in Path("plan.md").read_text()
    comment = Path("plan.md").read_text()
    assert comment.startswith("## cmqinfra plan for stack `payments[prod]`")
    assert "| `payments[prod]` |" in comment and "`orders`" not in comment
    assert "refunds" in comment
    saved = json.loads(Path("cmqinfra.plan").read_text())
    assert saved, "the project plan file is empty"
    assert "refunds" not in queues(emulator)

    # merge: apply exactly the saved plan (the recipe's fetch step found it: tests/gitops/
    # test_recipe_scripts.py and test_recipe_gitlab_ci_local.py prove that part)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "change")
    assert [c.args[:3] for c in jobs["apply"]] == [("apply", "--plan", "cmqinfra.plan")]
    for command in jobs["apply"]:
        run_recipe_command(command, base)
    assert queues(emulator)["refunds"]["QueueDescribe"]["VisibilityTimeout"] == 60

    # converged: a new plan has nothing to do
    again = run("plan", "--detailed-exitcode")
    assert again.code == 0, again.stdout + again.stderr


def test_apply_refuses_a_saved_plan_made_stale_by_another_change(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    base = two_stack_repository(repo, emulator)
    jobs = by_job(GITHUB)
    plan = next(c for c in jobs["plan"] if c.args[0] == "plan")
    run_recipe_command(plan, base)
    # someone applies first (another merged pull request)
    assert run("apply", "--auto-approve").code == 0
    apply = next(c for c in jobs["apply"] if c.args[0] == "apply")
    out = run(*apply.args)
    assert out.code == 1
    assert "changed since it was made; nothing was changed" in out.stderr
