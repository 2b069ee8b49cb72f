"""Which test files a ``cmqinfra test PATH...`` names, and which manifests each one tests."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cmqinfra.flowtest.spec import TEST_SUFFIXES, TestFile

_SKIPPED_DIRS = {"node_modules", "__pycache__"}


def is_test_file(path: Path | str) -> bool:
    return str(path).endswith(TEST_SUFFIXES)


def find_test_files(paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """(test files, problems). A PATH is a test file, a manifest (its NAME.cmqtest.yaml beside it)
    or a directory (every test file under it, hidden directories skipped)."""
    found: list[str] = []
    problems: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            under = sorted(_walk(path))
            if not under:
                problems.append(f"{given}: no *.cmqtest.yaml test files here")
            found.extend(under)
        elif is_test_file(path) and path.is_file():
            found.append(str(path))
        elif path.is_file():
            sibling = _sibling_test(path)
            if sibling is None:
                problems.append(f"{given}: no test file beside it ({path.stem}.cmqtest.yaml)")
            else:
                found.append(sibling)
        else:
            problems.append(f"{given}: no such file or directory")
    unique = list(dict.fromkeys(found))
    return unique, problems


def _walk(root: Path) -> list[str]:
    out: list[str] = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIPPED_DIRS]
        out.extend(str(Path(directory) / f) for f in files if is_test_file(f))
    return out


def _sibling_test(manifest: Path) -> str | None:
    for suffix in TEST_SUFFIXES:
        candidate = manifest.with_name(manifest.stem + suffix)
        if candidate.is_file():
            return str(candidate)
    return None


def manifests_for(test_file: TestFile) -> list[str]:
    """The manifests a test file declares, else NAME.yaml / NAME.yml beside NAME.cmqtest.yaml,
    else its whole directory (the manifest loader skips test files)."""
    if test_file.manifests:
        return list(test_file.manifests)
    path = Path(test_file.path)
    stem = path.name
    for suffix in TEST_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
    for suffix in (".yaml", ".yml"):
        candidate = path.with_name(stem + suffix)
        if candidate.is_file():
            return [str(candidate)]
    return [str(path.parent)]
