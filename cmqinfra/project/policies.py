"""The project's policies for a stack run by path, and for the units of a project.

A stack given as PATH takes the ``policies:`` of the cmqinfra.yaml around it (the nearest one
above the path, as ``cmqinfra.project.claims`` finds the project), scoped by the project's name
for the stack and no environment; a project's units take them when they resolve.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from cmqinfra.diagnostics import Diagnostic, Severity
from cmqinfra.model import Stack
from cmqinfra.project.config import PROJECT_FILE, read_config
from cmqinfra.project.resolve import ResolvedUnit


def _project_name(stack: Stack, paths: Sequence[str | os.PathLike[str]], root: Path, specs: Sequence) -> str:
    given = {Path(p).resolve() for p in paths}
    for spec in specs:
        declared = {(root / p).resolve() for p in spec.paths}
        if given & declared or any(d in g.parents for g in given for d in declared):
            return str(spec.name)
    return stack.name


def for_paths(stack: Stack, paths: Sequence[str | os.PathLike[str]]) -> tuple[Stack, list[Diagnostic]]:
    """The stack with the policies of the project around ``paths``, and that file's problems."""
    from cmqinfra.policy.config import attach, operator_policies
    from cmqinfra.project.claims import project_root

    operator, problems = operator_policies(os.environ)
    if problems:
        return stack, problems
    root = project_root(paths)
    if root is None or not (root / PROJECT_FILE).is_file():
        return (attach(stack, operator, stack.name, None) if operator else stack), []
    here = Path.cwd().resolve()
    if root == here or here in root.parents:  # named as the user sees it, like the manifests
        root = Path(os.path.relpath(root, here))
    config, problems = read_config(root)
    if config is None:
        return stack, problems
    if not config.policies and not operator:
        return stack, []
    name = _project_name(stack, paths, root.resolve(), config.stacks)
    return attach(stack, (*config.policies, *operator), name, None), []


def checked(unit: ResolvedUnit) -> ResolvedUnit:
    """``validate``: the unit with the violations of its stack's policies among its diagnostics;
    an error makes it invalid, as a manifest error does."""
    from cmqinfra.policy.check import check_stack

    if unit.stack is None or not unit.stack.policies:
        return unit
    found = check_stack(unit.stack)
    if not found:
        return unit
    failed = any(d.severity is Severity.ERROR for d in found)
    return replace(unit, stack=None if failed else unit.stack, diagnostics=unit.diagnostics + tuple(found))
