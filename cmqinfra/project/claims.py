"""What the project's other stacks take from one stack with ``moved: fromStack``, for a stack
planned on its own (``cmqinfra plan infra/payments``): its plan shows those resources moving out
and never deletes them, in whatever order the two stacks are applied.

The project is the one around the given paths: the nearest directory above them holding
``cmqinfra.yaml``, or else the current directory when the paths lie under it (discovered stacks).
Only the other stacks' ``moved`` entries are read, as written (no environment is resolved: a stack
planned by path is planned by its own names). Unreadable files are left to their own stack's runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cmqinfra.manifest import refactor
from cmqinfra.manifest.entries import as_mapping
from cmqinfra.manifest.loader import manifest_files
from cmqinfra.manifest.source import read_document
from cmqinfra.project.config import PROJECT_FILE
from cmqinfra.project.units import load_project


def project_root(paths: Sequence[str | os.PathLike[str]], cwd: Path | None = None) -> Path | None:
    given = [Path(p).resolve() for p in paths]
    if not given:
        return None
    start = given[0] if given[0].is_dir() else given[0].parent
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    here = (cwd or Path.cwd()).resolve()
    if all(p == here or here in p.parents for p in given):
        return here
    return None


def claimed_from(
    stack: str, paths: Sequence[str | os.PathLike[str]], cwd: Path | None = None
) -> dict[str, str]:
    """address -> the stack taking it, for every ``moved`` entry of another stack of the project
    naming ``fromStack: <stack>``."""
    root = project_root(paths, cwd)
    if root is None:
        return {}
    own = {os.path.realpath(f) for f in manifest_files(paths)[0]}
    seen: set[str] = set()
    claims: dict[str, str] = {}
    for unit in load_project(root).all_units:
        files, _ = manifest_files(unit.paths)
        for file in files:
            real = os.path.realpath(file)
            if real in own or real in seen:
                continue
            seen.add(real)
            doc, _problems = read_document(file)
            if doc is None:
                continue
            taker = as_mapping(doc.data).get("stack")
            if not isinstance(taker, str) or taker == stack:
                continue
            for entry in refactor.collect(doc):
                if entry.section == "moved" and entry.text("fromStack") == stack and entry.text("address"):
                    claims[str(entry.text("address"))] = taker
    return claims
