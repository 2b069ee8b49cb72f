"""The baseline of drift marking: the stacks as the manifests of a git commit declared them.

The plan of a pull request is computed against the manifests of its head. Whether a change sets
back an edit made outside cmqinfra is told by the manifests that were last applied: those of
the pull request's base (``--changed-since REF``: the merge base of REF and HEAD), or of any
commit given with ``--baseline REF`` (``HEAD`` on the default branch, for a drift check).

The commit's tree is exported with ``git archive`` into a scratch directory (regular files and
directories only: no link or path can leave it) and loaded by the same loader and
resolver as the working tree, offline. A unit that did not exist or did not load at the
baseline has no baseline: nothing of it is marked.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cmqinfra.model import Stack
from cmqinfra.run.session import Failure


def _git(cwd: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=120)
    except FileNotFoundError:
        raise Failure("--baseline needs git, and git is not installed") from None
    if done.returncode != 0:
        message = (done.stderr.decode(errors="replace").strip().splitlines() or ["git failed"])[-1]
        raise Failure(f"--baseline: git {args[0]}: {message}")
    return done.stdout


def baseline_commit(root: Path, ref: str, merge_base: bool) -> str:
    if ref.startswith("-"):
        raise Failure(f"--baseline: {ref!r} is not a git reference")
    if merge_base:
        return _git(root, "merge-base", ref, "HEAD").decode().strip()
    return _git(root, "rev-parse", "--verify", "-q", "--end-of-options", f"{ref}^{{commit}}").decode().strip()


def with_tree_at(root: Path, commit: str, use: Callable[[Path], Mapping[str, Stack]]) -> Mapping[str, Stack]:
    """``use(directory)``: the directory that holds ``root`` as it was at ``commit``."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    inside = root.resolve().relative_to(top)
    archive = _git(top, "archive", "--format=tar", commit)
    with tempfile.TemporaryDirectory(prefix="cmqinfra-baseline-") as scratch:
        _extract(archive, Path(scratch))
        return use(Path(scratch) / inside)


def _extract(archive: bytes, into: Path) -> None:
    """Regular files and directories only, each inside ``into``: links, devices and paths that
    climb out are skipped (tarfile's ``data`` filter is missing before Python 3.11.4 and 3.10.12)."""
    root = into.resolve()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            target = (root / member.name).resolve()
            if target != root and root not in target.parents:
                continue
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                source = tar.extractfile(member)
                if source is not None:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(source.read())


def project_baseline(root: Path, commit: str, keys: Sequence[str]) -> dict[str, Stack]:
    """The stack of each unit key as the project at ``commit`` resolves it (loadable ones only)."""
    from cmqinfra.project.resolve import resolve_all
    from cmqinfra.project.units import load_project

    def load(directory: Path) -> dict[str, Stack]:
        if not directory.is_dir():
            return {}
        project = load_project(directory)
        if not project.ok:
            return {}
        wanted = set(keys)
        try:
            units = [u for u in project.units((), ()) if u.key in wanted]
        except Exception:  # noqa: BLE001 - a baseline that does not load marks nothing
            return {}
        return {r.unit.key: r.stack for r in resolve_all(project, units) if r.ok and r.stack is not None}

    return dict(with_tree_at(root, commit, load))


def paths_baseline(paths: Sequence[str], commit: str) -> Stack | None:
    """The stack the manifest ``paths`` declared at ``commit`` (None: absent or not loadable)."""
    from cmqinfra.manifest.loader import load_stack

    first = Path(paths[0]).resolve()
    anchor = first if first.is_dir() else first.parent
    top = Path(_git(anchor, "rev-parse", "--show-toplevel").decode().strip()).resolve()
    relative = [Path(p).resolve().relative_to(top) for p in paths]

    def load(directory: Path) -> dict[str, Stack]:
        there = [directory / r for r in relative if (directory / r).exists()]
        if not there:
            return {}
        result = load_stack([str(p) for p in there])
        return {"": result.stack} if result.stack is not None else {}

    found = with_tree_at(top, commit, load)
    return found.get("")
