"""The CI recipes' own cmqinfra command lines, run against the emulator (no CI system needed)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator

sys.path.insert(0, str(Path(__file__).parent))
from cli_helpers import EXAMPLES, example_manifests, run  # noqa: E402
from recipes import GITHUB, GITLAB, RecipeCommand, cmqinfra_commands  # noqa: E402

TARGETED = ("plan", "apply")  # the commands that talk to TDMQ; CI uses the cloud, the test an emulator


def run_recipe_command(command: RecipeCommand, manifests: str, endpoint: str) -> int:
    args = [a.replace("$MANIFESTS", manifests) for a in command.args]
    if args[0] in TARGETED:
        args += ["--endpoint", endpoint]
    out = run(*args)
    if command.stdout_to:
        Path(command.stdout_to).write_text(out.stdout)
    assert out.code == 0, f"cmqinfra {' '.join(args)}: {out.stderr}"
    return out.code


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


@pytest.mark.parametrize("recipe", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_pull_request_then_merge(
    recipe: Path, emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "infra").mkdir()
    shutil.copy(example_manifests()[0], tmp_path / "infra")  # one stack, as MANIFESTS holds
    manifests = "infra"
    endpoint = emulator.url
    commands = cmqinfra_commands(recipe)
    by_job: dict[str, list[RecipeCommand]] = {}
    for c in commands:
        by_job.setdefault(c.job, []).append(c)

    # pull request: validate, then plan once, saving the plan and writing the comment
    pr_jobs = ["plan"] if recipe is GITHUB else ["validate", "plan:mr"]
    for job in pr_jobs:
        for command in by_job[job]:
            run_recipe_command(command, manifests, endpoint)
    comment = Path("plan.md").read_text()
    assert comment.startswith("### cmqinfra plan for stack ")
    assert "to add" in comment and "```diff" in comment
    saved = json.loads(Path("cmqinfra.plan").read_text())
    assert saved["resource_changes"]

    # merge: apply exactly the saved plan (GitLab plans again on the default branch first)
    if recipe is GITLAB:
        Path("cmqinfra.plan").unlink()
        for command in by_job["plan"]:
            run_recipe_command(command, manifests, endpoint)
    for command in by_job["apply"]:
        run_recipe_command(command, manifests, endpoint)

    # converged: a new plan has nothing to do, and the next pull request's comment says so
    again = run("plan", manifests, "--endpoint", endpoint, "--detailed-exitcode")
    assert again.code == 0, again.stdout + again.stderr
    comment = run("plan", manifests, "--endpoint", endpoint, "--format", "markdown").stdout
    assert "**No changes. Live state matches the manifest.**" in comment


def test_apply_refuses_a_saved_plan_made_stale_by_another_change(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    example = example_manifests()[0]
    endpoint = emulator.url
    plan = next(c for c in cmqinfra_commands(GITHUB) if c.args[0] == "plan")
    apply = next(c for c in cmqinfra_commands(GITHUB) if c.args[0] == "apply")
    run_recipe_command(plan, str(example), endpoint)
    # someone applies first (another merged pull request)
    assert run("apply", str(example), "--endpoint", endpoint, "--auto-approve").code == 0
    args = [*apply.args, "--endpoint", endpoint]
    out = run(*args)
    assert out.code == 1
    assert "stale" in out.stderr.lower()
