"""Whether a manifest path lies under a project's ``cmqinfra.yaml`` (light: plain file checks, so
that validating a file in an editor loads no project machinery unless there is a project)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

PROJECT_FILE_NAME = "cmqinfra.yaml"


def project_file_above(path: str | os.PathLike[str]) -> Path | None:
    """The nearest ``cmqinfra.yaml`` in the directory of ``path`` or above it, or None."""
    start = Path(path).resolve()
    if not start.is_dir():
        start = start.parent
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def any_under_a_project(paths: Iterable[str | os.PathLike[str]]) -> bool:
    return any(project_file_above(p) is not None for p in paths)
