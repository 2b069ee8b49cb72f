"""Finding the CI tools the recipe tests run (installed by .ci/install-ci-tools.sh)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / ".ci" / "tools"


def tool(name: str) -> str | None:
    """The tool from the project-local .ci/tools, the test environment's bin, or PATH."""
    for candidate in (TOOLS / "node_modules" / ".bin" / name, Path(sys.executable).parent / name):
        if candidate.is_file():
            return str(candidate)
    return shutil.which(name)


def missing(name: str) -> str:
    return f"{name} is not installed: run .ci/install-ci-tools.sh (it says why when it cannot install it)"
