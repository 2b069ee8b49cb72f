"""The project file, ``cmqinfra.yaml``: read with the manifests' located loader, checked against
``cmqinfra/schemas/project.schema.json``, built into frozen values.

Every value keeps where it was written (``Located``), so a bad variable value is reported at
the ``file:line:col`` of the text the user wrote, in ``cmqinfra.yaml`` or in a value file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.schema import check_against, show
from cmqinfra.manifest.source import DataPath, Document, read_document
from cmqinfra.model import SourceLocation
from cmqinfra.project.paths import inside, outside_message

if TYPE_CHECKING:  # imported only to word an invalid file (cmqinfra/manifest/schema.py)
    from jsonschema import Draft202012Validator

PROJECT_FILE = "cmqinfra.yaml"
PROJECT_SCHEMA_RESOURCE = "schemas/project.schema.json"
VARIABLE_TYPES = ("string", "integer", "number", "boolean", "map", "list")


@lru_cache(maxsize=1)
def project_schema() -> dict[str, Any]:
    from importlib import resources  # only a cmqinfra.yaml is checked against it, not a PATH

    schema: dict[str, Any] = json.loads((resources.files("cmqinfra") / PROJECT_SCHEMA_RESOURCE).read_bytes())
    return schema


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(project_schema())


def check_project_schema(doc: Document) -> list[Diagnostic]:
    """The schema compiled ahead of time accepts a valid file; jsonschema words what is wrong."""
    from cmqinfra.manifest.compiled.project import accept

    return [] if accept(doc.data) else check_against(doc, _validator())


@dataclass(frozen=True)
class Located:
    """A value and the document and path where it was written."""

    value: Any
    doc: Document
    path: DataPath

    @property
    def location(self) -> SourceLocation:
        return self.doc.at(self.path)


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    default: Located | None
    location: SourceLocation


@dataclass(frozen=True)
class Credentials:
    """Names of the process environment variables holding one environment's keys (never the keys)."""

    secret_id: str
    secret_key: str
    session_token: str | None = None


@dataclass(frozen=True)
class Environment:
    name: str
    region: str | None = None
    endpoint: str | None = None
    account: str | None = None
    credentials: Credentials | None = None
    allowed_accounts: tuple[str, ...] = ()  # account and allowedAccounts: checked before any call
    name_prefix: str = ""
    name_suffix: str = ""
    value_files: tuple[str, ...] = ()  # as written, relative to the project root
    values: tuple[tuple[str, Located], ...] = ()
    location: SourceLocation | None = None
    endpoint_location: SourceLocation | None = None  # where the repository named the endpoint


@dataclass(frozen=True)
class StackSpec:
    name: str
    paths: tuple[str, ...]  # as written, relative to the project root
    environments: tuple[str, ...] | None  # None: every environment
    values: tuple[tuple[str, tuple[tuple[str, Located], ...]], ...] = ()  # env or "all" -> values
    location: SourceLocation | None = None


@dataclass(frozen=True)
class ProjectConfig:
    file: str
    variables: tuple[Variable, ...]
    environments: tuple[Environment, ...]
    stacks: tuple[StackSpec, ...]
    data: Any  # the file as plain data: what --changed-since compares entry by entry
    policies: tuple[Any, ...] = ()  # cmqinfra.policy.config.ProjectPolicy, in the file's order

    def variable(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    def environment(self, name: str) -> Environment | None:
        return next((e for e in self.environments if e.name == name), None)


def type_matches(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "map":
        return isinstance(value, dict)
    return isinstance(value, list)


_TYPE_WORDS = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "true or false", "map": "a mapping", "list": "a list"}


def check_value(variable: Variable, value: Located) -> list[Diagnostic]:
    """A value against its variable's declared type, located where the value was written."""
    if type_matches(variable.type, value.value):
        return []
    return [Diagnostic(
        f"variable {show(variable.name)} must be {_TYPE_WORDS[variable.type]} (got {show(value.value)})",
        value.location,
        hint=f"declared as {variable.type} at {variable.location}")]


def read_config(root: Path) -> tuple[ProjectConfig | None, list[Diagnostic]]:
    """``ROOT/cmqinfra.yaml`` as a ProjectConfig, or every problem with it, located."""
    file = str(root / PROJECT_FILE)
    if not inside(root, file):
        where = SourceLocation(file, 1, 1)
        return None, [Diagnostic(outside_message("the project file", PROJECT_FILE), where)]
    doc, diags = read_document(file)
    if doc is None:
        return None, diags
    diags.extend(check_project_schema(doc))
    if diags:
        return None, diags
    return build_config(doc)


def _located_values(
    doc: Document, path: DataPath, data: Mapping[str, Any]
) -> tuple[tuple[str, Located], ...]:
    return tuple((name, Located(value, doc, path + (name,))) for name, value in data.items())


def build_config(doc: Document) -> tuple[ProjectConfig | None, list[Diagnostic]]:
    data = doc.data
    root = Path(doc.file).parent
    diags: list[Diagnostic] = []
    variables = []
    for name, spec in data.get("variables", {}).items():
        path: DataPath = ("variables", name)
        default = Located(spec["default"], doc, path + ("default",)) if "default" in spec else None
        variables.append(Variable(name, spec["type"], default, doc.key_at(path)))
    declared = {v.name: v for v in variables}
    for variable in variables:
        if variable.default is not None:
            diags.extend(check_value(variable, variable.default))

    def known_values(values: tuple[tuple[str, Located], ...]) -> None:
        for name, value in values:
            variable = declared.get(name)
            if variable is None:
                diags.append(unknown_variable(name, value.doc.key_at(value.path), declared))
            else:
                diags.extend(check_value(variable, value))

    environments = []
    for name, spec in data.get("environments", {}).items():
        path = ("environments", name)
        creds = spec.get("credentials")
        env = Environment(
            name=name,
            region=spec.get("region"),
            endpoint=spec.get("endpoint"),
            account=spec.get("account"),
            allowed_accounts=tuple(dict.fromkeys(
                [*([spec["account"]] if spec.get("account") else []), *spec.get("allowedAccounts", ())])),
            credentials=Credentials(creds["secretId"], creds["secretKey"], creds.get("sessionToken"))
            if creds else None,
            name_prefix=spec.get("namePrefix", ""),
            name_suffix=spec.get("nameSuffix", ""),
            value_files=tuple(spec.get("valueFiles", ())),
            values=_located_values(doc, path + ("values",), spec.get("values", {})),
            location=doc.key_at(path),
            endpoint_location=doc.at(path + ("endpoint",)) if "endpoint" in spec else None,
        )
        known_values(env.values)
        for field, variable in (creds or {}).items():
            from cmqinfra.run.trust import credential_name_problem  # only for projects that name some

            problem = credential_name_problem(field, variable)
            if problem is not None:
                diags.append(Diagnostic(problem, doc.at(path + ("credentials", field))))
        for index, file in enumerate(env.value_files):
            if not inside(root, root / file):
                diags.append(Diagnostic(outside_message("value file", file),
                                        doc.at(path + ("valueFiles", index))))
            elif not (root / file).is_file():
                diags.append(Diagnostic(f"value file {show(file)} does not exist",
                                        doc.at(path + ("valueFiles", index))))
        environments.append(env)
    env_names = [e.name for e in environments]
    stacks = []
    for name, spec in data["stacks"].items():
        path = ("stacks", name)
        raw_paths = spec["path"]
        for index, raw in enumerate([raw_paths] if isinstance(raw_paths, str) else raw_paths):
            where = path + ("path",) if isinstance(raw_paths, str) else path + ("path", index)
            if not inside(root, root / raw):
                diags.append(Diagnostic(f"stack {show(name)}: " + outside_message("path", raw),
                                        doc.at(where)))
            elif not (root / raw).exists():
                diags.append(Diagnostic(f"stack {show(name)}: no such file or directory {show(raw)}",
                                        doc.at(where)))
        only = spec.get("environments")
        for index, env_name in enumerate(only or ()):
            if env_name not in env_names:
                diags.append(_unknown(f"environment {show(env_name)}", env_name, env_names,
                                      doc.at(path + ("environments", index))))
        values = []
        for env_name, block in spec.get("values", {}).items():
            if env_name != "all" and env_name not in env_names:
                diags.append(_unknown(f"environment {show(env_name)}", env_name, env_names + ["all"],
                                      doc.key_at(path + ("values", env_name))))
            located = _located_values(doc, path + ("values", env_name), block)
            known_values(located)
            values.append((env_name, located))
        stacks.append(StackSpec(
            name=name,
            paths=(raw_paths,) if isinstance(raw_paths, str) else tuple(raw_paths),
            environments=tuple(only) if only is not None else None,
            values=tuple(values),
            location=doc.key_at(path),
        ))
    from cmqinfra.policy.config import read_policies

    policies, problems = read_policies(doc)
    diags.extend(problems)
    if diags:
        return None, diags
    config = ProjectConfig(doc.file, tuple(variables), tuple(environments), tuple(stacks), data, policies)
    return config, []


def unknown_variable(name: str, where: SourceLocation, declared: Mapping[str, Variable]) -> Diagnostic:
    return _unknown(f"variable {show(name)}", name, list(declared), where,
                    "declare it under `variables:` in cmqinfra.yaml")


def _unknown(
    what: str, name: str, known: list[str], where: SourceLocation, otherwise: str = ""
) -> Diagnostic:
    import difflib  # only wording an error needs it

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        hint = f"did you mean {show(close[0])}?"
    elif known:
        hint = "known: " + ", ".join(known)
    else:
        hint = otherwise or None
    return Diagnostic(f"unknown {what}", where, hint=hint)
