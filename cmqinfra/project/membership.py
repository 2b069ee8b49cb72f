"""A manifest PATH that belongs to a project's stack is refused: read alone it would miss its
environment (variables, names, region, endpoint), and its plan would be another stack's.

The project is the nearest directory above the path holding ``cmqinfra.yaml``; the path belongs to
it when it is one of a stack's manifest paths, lies inside one, or holds one. Without
``cmqinfra.yaml`` every directory of manifests is a stack of its own: nothing is refused.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cmqinfra.manifest.projectfile import project_file_above


def _shown(path: Path, cwd: Path) -> str:
    try:
        return os.path.relpath(path, cwd)
    except ValueError:  # another drive
        return str(path)


def project_member(paths: Sequence[str | os.PathLike[str]], cwd: Path | None = None) -> str | None:
    """Why the first of ``paths`` that belongs to a project's stack cannot be run alone, or None."""
    from cmqinfra.project.units import load_project

    here = (cwd or Path.cwd()).resolve()
    for given in paths:
        path = Path(given).resolve()
        project_file = project_file_above(path)
        if project_file is None:
            continue
        project = load_project(project_file.parent)
        for unit in project.all_units:
            for stack_path in (p.resolve() for p in unit.paths):
                if path == stack_path or stack_path in path.parents or path in stack_path.parents:
                    envs = sorted({u.environment for u in project.all_units
                                   if u.stack_name == unit.stack_name and u.environment})
                    env = f" --env {'|'.join(envs)}" if envs else ""
                    root = _shown(project_file.parent, here)
                    flag = "" if root == "." else f" --project {root}"
                    return (f"{given} belongs to the project in {_shown(project_file, here)}; use --stack "
                            f"{unit.stack_name}{env}{flag} (a stack of a project is planned with its "
                            "environment's variables, names, region and endpoint)")
    return None
