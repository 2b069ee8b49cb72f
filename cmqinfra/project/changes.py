"""``--changed-since GIT_REF``: the units a change affects, through the git CLI.

The change is everything between the merge base of GIT_REF and HEAD and the working tree
(commits, uncommitted edits, new untracked files; renames count as a deletion and an addition),
as a pull request's diff is. A unit is affected when:

- one of its manifest files, or a file in one of its stack directories, changed;
- a value its manifests use changed in a value file of its environment;
- its entry in ``cmqinfra.yaml`` changed: the stack's entry, its environment's entry, or the
  declaration of a variable its manifests use (a project file that did not exist, or could not
  be read, at the base affects every unit).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmqinfra.manifest.pyyaml import yaml
from cmqinfra.project.config import PROJECT_FILE
from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.project.units import Project
from cmqinfra.run.session import Failure


@dataclass(frozen=True)
class Change:
    base: str  # the merge-base commit
    top: Path  # the repository's top directory
    files: frozenset[Path]  # absolute, resolved
    old_config: Any  # cmqinfra.yaml at the base as plain data; None when absent or unreadable

    def old_data(self, file: Path) -> Any:
        """A YAML file as it was at the base, as plain data (None: absent or unreadable)."""
        return _old_yaml(self.top, self.base, file.resolve().relative_to(self.top).as_posix())


def _old_yaml(top: Path, base: str, path: str) -> Any:
    # Bytes, not text: a file that was not UTF-8 at the base is then a YAML error (unreadable,
    # so everything it could have said counts as changed), never a decoding traceback.
    shown = subprocess.run(["git", "show", f"{base}:{path}"], cwd=top, capture_output=True, check=False)
    if shown.returncode != 0:
        return None
    try:
        return yaml.safe_load(shown.stdout)
    except yaml.YAMLError:
        return None


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise Failure("--changed-since needs git, and git is not installed") from None
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["git failed"])[-1]
        raise Failure(f"--changed-since: git {args[0]}: {message}")
    return done.stdout


def read_change(root: Path, ref: str) -> Change:
    """What changed in the repository holding ``root`` since ``ref``."""
    if ref.startswith("-"):
        # git would read it as an option (--output=FILE writes a file): a ref never starts so.
        raise Failure(f"--changed-since {ref!r}: a git ref does not start with '-'")
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip()).resolve()
    base = _git(root, "merge-base", "--end-of-options", ref, "HEAD").strip()
    names = _git(top, "diff", "--name-only", "--no-renames", "-z", base, "--").split("\0")
    names += _git(top, "ls-files", "--others", "--exclude-standard", "--full-name", "-z").split("\0")
    files = frozenset((top / name).resolve() for name in names if name)
    old = _old_yaml(top, base, (Path(root).resolve() / PROJECT_FILE).relative_to(top).as_posix())
    return Change(base, top, files, old if isinstance(old, dict) else None)


def _under(file: Path, paths: Sequence[Path]) -> bool:
    for given in paths:
        path = given.resolve()
        if file == path or path in file.parents:
            return True
    return False


def _values_changed(change: Change, file: Path, item: ResolvedUnit) -> bool:
    """Whether a changed value file changed a value this unit uses."""
    old = change.old_data(file)
    try:
        new = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return True
    if not isinstance(old, dict) or not isinstance(new, dict):
        return True
    return any(old.get(v, _ABSENT) != new.get(v, _ABSENT) for v in item.variables)


_ABSENT = object()


def _entry(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def affected(project: Project, resolved: Sequence[ResolvedUnit], change: Change) -> list[ResolvedUnit]:
    """The resolved units ``change`` affects, in their order."""
    config_file = (project.root / PROJECT_FILE).resolve()
    config_changed = project.config is not None and config_file in change.files
    out = []
    for item in resolved:
        unit = item.unit
        files = [Path(f) for f in item.files]
        hit = any(_under(f, [*unit.paths, *files]) for f in change.files)
        if not hit:
            changed = [f for f in unit.value_files if f.resolve() in change.files]
            hit = any(_values_changed(change, f, item) for f in changed)
        if not hit and config_changed:
            old, new = change.old_config, project.config.data if project.config else None
            if old is None:
                hit = True
            else:
                hit = _entry(old, "stacks", unit.stack_name) != _entry(new, "stacks", unit.stack_name)
                if unit.environment is not None:
                    hit = hit or (_entry(old, "environments", unit.environment)
                                  != _entry(new, "environments", unit.environment))
                hit = hit or any(_entry(old, "variables", v) != _entry(new, "variables", v)
                                 for v in item.variables)
                # a changed policy may govern any stack: every one is checked again
                hit = hit or _entry(old, "policies") != _entry(new, "policies")
        if hit:
            out.append(item)
    return out


def removed_stacks(project: Project, change: Change) -> list[str]:
    """Stacks named in ``cmqinfra.yaml`` at the base and no longer: nothing plans them now."""
    old = _entry(change.old_config, "stacks")
    if project.config is None or not isinstance(old, dict):
        return []
    now = {s.name for s in project.config.stacks}
    return sorted(name for name in old if name not in now)
