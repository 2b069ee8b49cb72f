"""A project as a list of units, one per (stack, environment): from ``cmqinfra.yaml``, or, without
it, one unit per directory under the root that holds manifests (Atlantis-style autodiscovery)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.loader import MANIFEST_SUFFIXES
from cmqinfra.manifest.projectfile import PROJECT_FILE_NAME as PROJECT_FILE
from cmqinfra.manifest.source import read_document
from cmqinfra.project.paths import inside

if TYPE_CHECKING:  # the reader of cmqinfra.yaml loads only where there is one (load_project)
    from cmqinfra.project.config import Credentials, Environment, Located, ProjectConfig

# Directories never searched for stacks: tools' state and dependencies, not manifests.
SKIPPED_DIRS = frozenset({".git", ".cmqinfra", ".venv", "venv", "node_modules", "__pycache__", ".github",
                          ".gitlab", ".ci"})


class ProjectError(Exception):
    """A project that cannot be used as asked (unknown stack or environment): one line, exit 1."""


@dataclass(frozen=True)
class UnitTarget:
    """Where a unit is planned and applied; the CLI's --endpoint / --local fill what is None."""

    endpoint: str | None = None
    account: str | None = None
    credentials: Credentials | None = None
    endpoint_at: str | None = None  # file:line where the repository named the endpoint
    allowed_accounts: tuple[str, ...] = ()  # the environment's accounts; () allows any


@dataclass(frozen=True)
class StackUnit:
    """One stack in one environment: what plan and apply walk."""

    stack_name: str  # the project's name for the stack (the cmqinfra.yaml key, or its directory)
    environment: str | None  # None: a project without environments
    paths: tuple[Path, ...]  # the stack's manifest files and directories
    region: str | None  # the environment's region; None: the manifest's, then --region
    target: UnitTarget = UnitTarget()
    name_prefix: str = ""
    name_suffix: str = ""
    values: tuple[tuple[str, Located], ...] = ()  # the variable values this environment gives
    value_files: tuple[Path, ...] = ()  # files this unit takes values from

    @property
    def key(self) -> str:
        """``payments[prod]``, or ``payments`` without environments: how output names the unit."""
        return f"{self.stack_name}[{self.environment}]" if self.environment else self.stack_name


@dataclass(frozen=True)
class Project:
    root: Path
    config: ProjectConfig | None  # None: stacks were discovered by directory
    all_units: tuple[StackUnit, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    stack_names: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.diagnostics

    def units(self, stacks: Sequence[str] = (), environments: Sequence[str] = ()) -> tuple[StackUnit, ...]:
        """The units of the named stacks and environments (all when none are named)."""
        known_envs = sorted({u.environment for u in self.all_units if u.environment})
        for name in stacks:
            if name not in self.stack_names:
                known = ", ".join(self.stack_names)
                raise ProjectError(f"no stack named {name!r} in the project (stacks: {known})")
        for name in environments:
            if name not in known_envs:
                known = ", ".join(known_envs) or "none"
                raise ProjectError(f"no environment named {name!r} in the project (environments: {known})")
        return tuple(
            u for u in self.all_units
            if (not stacks or u.stack_name in stacks) and (not environments or u.environment in environments)
        )


def load_project(root: Path) -> Project:
    """The project at ``root``: its ``cmqinfra.yaml`` or, without one, its manifest directories."""
    root = Path(root)
    if (root / PROJECT_FILE).is_file():
        from cmqinfra.project.config import read_config

        config, diags = read_config(root)
        if config is None:
            return Project(root, None, (), tuple(diags))
        return _from_config(root, config)
    return _discovered(root)


def _from_config(root: Path, config: ProjectConfig) -> Project:
    from cmqinfra.project.config import Located, check_value, unknown_variable

    diags: list[Diagnostic] = []
    declared = {v.name: v for v in config.variables}
    env_values: dict[str, list[tuple[str, Located]]] = {}
    for env in config.environments:
        values: list[tuple[str, Located]] = []
        for file in env.value_files:
            if not (root / file).is_file():
                continue  # reported, located in cmqinfra.yaml, by build_config
            doc, problems = read_document(str(root / file))
            diags.extend(problems)
            if doc is None:
                continue
            if not isinstance(doc.data, dict):
                diags.append(Diagnostic("a value file is a mapping of variable names to values", doc.at(())))
                continue
            for name, value in doc.data.items():
                located = Located(value, doc, (name,))
                variable = declared.get(name)
                if variable is None:
                    diags.append(unknown_variable(name, doc.key_at((name,)), declared))
                else:
                    diags.extend(check_value(variable, located))
                values.append((name, located))
        values.extend(env.values)
        env_values[env.name] = values
    envs: list[Environment | None] = list(config.environments) or [None]
    units = []
    for spec in config.stacks:
        stack_values = dict(spec.values)
        for env in envs:
            if env is not None and spec.environments is not None and env.name not in spec.environments:
                continue
            values = list(env_values.get(env.name, ())) if env else []
            values.extend(stack_values.get("all", ()))
            if env is not None:
                values.extend(stack_values.get(env.name, ()))
            units.append(StackUnit(
                stack_name=spec.name,
                environment=env.name if env else None,
                paths=tuple(root / p for p in spec.paths),
                region=env.region if env else None,
                target=UnitTarget(env.endpoint, env.account, env.credentials,
                                  str(env.endpoint_location) if env.endpoint_location else None,
                                  env.allowed_accounts)
                if env else UnitTarget(),
                name_prefix=env.name_prefix if env else "",
                name_suffix=env.name_suffix if env else "",
                values=tuple(dict(values).items()),  # later values win
                value_files=tuple(root / f for f in env.value_files) if env else (),
            ))
    return Project(root, config, tuple(units), tuple(diags), tuple(s.name for s in config.stacks))


_STACK_LINE = re.compile(r"^stack\s*:", re.MULTILINE)


def _looks_like_manifest(file: Path) -> bool:
    """A *.yaml / *.yml file with a top-level ``stack:`` key; CI files and the like are not stacks."""
    if file.suffix not in MANIFEST_SUFFIXES or file.name.startswith(".") or file.name == PROJECT_FILE:
        return False
    try:
        with open(file, "rb") as handle:
            head = handle.read(65536).decode("utf-8", "replace")
    except OSError:
        return False
    return _STACK_LINE.search(head) is not None


def _discovered(root: Path) -> Project:
    """Each directory (the root included) that directly holds *.yaml / *.yml files is one stack,
    named by its path from the root."""
    units = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        here = Path(directory)
        # A link out of the project is not opened here; the stack's load reports it (paths.py).
        if any(_looks_like_manifest(here / f) for f in sorted(files) if inside(root, here / f)):
            name = here.relative_to(root).as_posix()
            units.append(StackUnit(stack_name=name if name != "." else root.resolve().name,
                                   environment=None, paths=(here,), region=None))
    units.sort(key=lambda u: u.stack_name)
    diags: tuple[Diagnostic, ...] = ()
    if not units:
        message = f"no project in {root}: no {PROJECT_FILE}, and no directory under it holds manifests"
        diags = (Diagnostic(message, hint="give manifest PATH arguments, or --project DIR"),)
    return Project(root, None, tuple(units), diags, tuple(u.stack_name for u in units))
