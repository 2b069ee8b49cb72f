"""``policies:`` of cmqinfra.yaml -> Policy values, checked beyond the schema, and scoped.

The schema (``$defs.policy`` of the project schema) checks shapes; here each parameter is
checked against its rule (a parameter another rule reads is an error where it is written), a
pattern must compile and min must not exceed max.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase

import regex

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.source import Document
from cmqinfra.model import Policy, Stack
from cmqinfra.policy.rules import PARAMETERS, REQUIRED

_COMMON = frozenset(
    {"rule", "severity", "description", "stacks", "environments", "resources", "allowExceptions"}
)


@dataclass(frozen=True)
class ProjectPolicy:
    """A policy as the project declares it: the rule, and where it applies."""

    policy: Policy
    stacks: tuple[str, ...] = ()  # globs; empty: every stack
    environments: tuple[str, ...] = ()  # globs; empty: every environment

    def applies(self, stack: str, environment: str | None) -> bool:
        if self.stacks and not any(fnmatchcase(stack, p) for p in self.stacks):
            return False
        if self.environments:
            return environment is not None and any(fnmatchcase(environment, p) for p in self.environments)
        return True


def _frozen(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def read_policies(doc: Document) -> tuple[tuple[ProjectPolicy, ...], list[Diagnostic]]:
    """The schema-checked document's policies, or the problems the schema cannot see."""
    data = doc.data.get("policies") if isinstance(doc.data, dict) else None
    if not isinstance(data, dict):
        return (), []
    out: list[ProjectPolicy] = []
    problems: list[Diagnostic] = []
    for pid, spec in data.items():
        path = ("policies", pid)
        rule = spec["rule"]
        allowed = PARAMETERS[rule] | _COMMON
        for key in spec:
            if key not in allowed:
                problems.append(
                    Diagnostic(
                        f"policy {pid}: {key} does not apply to rule {rule}",
                        doc.key_at(path + (key,)),
                        hint="it reads: " + ", ".join(sorted(PARAMETERS[rule])) if PARAMETERS[rule] else None,
                    )
                )
        for key in sorted(REQUIRED.get(rule, frozenset()) - set(spec)):
            problems.append(Diagnostic(f"policy {pid}: rule {rule} needs {key}", doc.key_at(path)))
        if "pattern" in spec:
            try:
                regex.compile(spec["pattern"])
            except regex.error as exc:
                problems.append(
                    Diagnostic(
                        f"policy {pid}: pattern is not a regular expression ({exc})",
                        doc.at(path + ("pattern",)),
                    )
                )
        if "min" in spec and "max" in spec and spec["min"] > spec["max"]:
            problems.append(Diagnostic(f"policy {pid}: min is above max", doc.at(path + ("min",))))
        params = tuple(
            (key, _frozen(value)) for key, value in spec.items() if key not in _COMMON or key == "description"
        )
        policy = Policy(
            id=pid,
            rule=rule,
            severity=spec.get("severity", "error"),
            resources=tuple(spec.get("resources", ())),
            params=params,
            allow_exceptions=spec.get("allowExceptions", True),
            source=doc.key_at(path),
        )
        out.append(ProjectPolicy(policy, tuple(spec.get("stacks", ())), tuple(spec.get("environments", ()))))
    return tuple(out), problems


OPERATOR_POLICIES = "CMQINFRA_POLICIES"  # environment variable: a policy file the operator controls


def read_policy_file(file: str) -> tuple[tuple[ProjectPolicy, ...], list[Diagnostic]]:
    """A file holding only a ``policies:`` section, checked like cmqinfra.yaml's."""
    from jsonschema import Draft202012Validator

    from cmqinfra.manifest.schema import check_against
    from cmqinfra.manifest.source import read_document
    from cmqinfra.project.config import project_schema

    doc, problems = read_document(file)
    if doc is None:
        return (), problems
    project = project_schema()
    schema = {
        "type": "object",
        "additionalProperties": False,
        "required": ["policies"],
        "properties": {"policies": project["properties"]["policies"]},
        "$defs": project["$defs"],
    }
    problems = check_against(doc, Draft202012Validator(schema))
    if problems:
        return (), problems
    return read_policies(doc)


def operator_policies(environ: Mapping[str, str]) -> tuple[tuple[ProjectPolicy, ...], list[Diagnostic]]:
    """The policies of the file ``CMQINFRA_POLICIES`` names: set by the operator (a CI variable),
    never by the repository, so a pull request cannot loosen them by editing cmqinfra.yaml."""
    file = environ.get(OPERATOR_POLICIES)
    if not file:
        return (), []
    policies, problems = read_policy_file(file)
    marked = tuple(
        ProjectPolicy(replace(p.policy, id=f"operator:{p.policy.id}"), p.stacks, p.environments)
        for p in policies
    )
    return marked, problems


def attach(stack: Stack, policies: Sequence[ProjectPolicy], name: str, environment: str | None) -> Stack:
    """The stack carrying the policies that apply to it (``name``: the project's name for it)."""
    mine = tuple(p.policy for p in policies if p.applies(name, environment))
    return replace(stack, policies=mine) if mine else stack
