"""The GitHub workflow passes actionlint and GitHub's workflow schema; the GitLab recipe GitLab's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from ci_tools import missing, tool  # noqa: E402
from recipes import DRIFT, GITHUB, GITLAB  # noqa: E402

ACTIONLINT = tool("actionlint")
CHECK_JSONSCHEMA = tool("check-jsonschema")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(ACTIONLINT is None, reason=missing("actionlint"))
def test_github_workflow_passes_actionlint(tmp_path: Path) -> None:
    done = _run(str(ACTIONLINT), "-no-color", str(GITHUB), str(DRIFT))
    assert done.returncode == 0, done.stdout + done.stderr
    # and the check is real: an unknown context property in the same workflow is caught
    broken = tmp_path / "broken.yml"
    broken.write_text(GITHUB.read_text().replace("${{ github.token }}", "${{ github.tokn }}", 1))
    done = _run(str(ACTIONLINT), "-no-color", str(broken))
    assert done.returncode == 1 and "tokn" in done.stdout


@pytest.mark.skipif(CHECK_JSONSCHEMA is None, reason=missing("check-jsonschema"))
@pytest.mark.parametrize(
    ("recipe", "schema"),
    [(GITHUB, "vendor.github-workflows"), (DRIFT, "vendor.github-workflows"), (GITLAB, "vendor.gitlab-ci")],
    ids=["github", "github-drift", "gitlab"],
)
def test_recipe_passes_its_ci_schema(recipe: Path, schema: str, tmp_path: Path) -> None:
    done = _run(str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(recipe))
    assert done.returncode == 0, done.stdout + done.stderr
    # a misspelt key is refused by the same schema
    broken = tmp_path / recipe.name
    broken.write_text(
        recipe.read_text()
        .replace("resource_group:", "resource-group:")
        .replace("cancel-in-progress: false", "cancel-in-progres: false")
    )
    assert broken.read_text() != recipe.read_text()
    done = _run(str(CHECK_JSONSCHEMA), "--builtin-schema", schema, str(broken))
    assert done.returncode == 1, done.stdout
