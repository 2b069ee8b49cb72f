"""Every file read for a project lies inside the project root, symbolic links followed.

A pull request writes the paths in ``cmqinfra.yaml`` (value files, stack paths), in flow tests
(``manifests:``) and the links in the tree. A path that leaves the root (absolute, ``../``, or a
link pointing out) would let the pull request print any YAML the CI runner can read through a
type error or a plan diff. Such a path is refused where it was written, and nothing of the file
it names is read or shown (docs/security.md, G2).
"""

from __future__ import annotations

import os
from pathlib import Path


def inside(root: Path | str, path: Path | str) -> bool:
    """Whether ``path`` (relative to the working directory or absolute), its links followed, is
    ``root`` or under it."""
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def outside_message(what: str, written: str) -> str:
    return (f"{what} {written!r} is outside the project root (after following links); "
            "only files inside the project are read")


def root_of(file: Path | str) -> Path | None:
    """The project a file belongs to: the nearest directory above it holding ``cmqinfra.yaml`` or
    ``.git``; else the working directory when the file is under it; else None (a file outside any
    checkout, named by the operator: there is no root to hold it to)."""
    real = Path(os.path.realpath(file))
    for directory in real.parents:
        if (directory / "cmqinfra.yaml").is_file() or (directory / ".git").exists():
            return directory
    cwd = Path.cwd()
    return cwd if inside(cwd, real) else None
