"""One unit's manifests as its environment sees them: ``${...}`` interpolated, names affixed,
the environment's region in place, then loaded and checked like any stack. (Stacks discovered
without ``cmqinfra.yaml`` have no variables: they are read exactly as PATH arguments are.)

Interpolation (in values and in mapping keys):

- ``${var.NAME}``: a declared variable's value. Written as the whole value it keeps its type (an
  integer, a mapping of tags, a list of binding keys); inside a longer string it must be a string,
  number or boolean.
- ``${env.name}``, ``${env.region}``: the environment's name and region.
- ``$${`` is a literal ``${``.

A value that came from a variable is checked against the manifest schema where it is used, and
its diagnostic is located where the value was written (the environment's value file or
``cmqinfra.yaml``), with a hint naming the place that used it.

Name affixes (``namePrefix`` / ``nameSuffix``) go on every queue and topic name, on the queues a
manifest refers to (dead letters, queue endpoints of subscriptions) and on the stack name, so two
environments sharing an account never share an ownership scope; likewise on the addresses and
stack names of the refactoring entries (``moved``, ``removed``, ``import``, ``renamedFrom``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.loader import LoadResult, load_documents, manifest_files, read_documents
from cmqinfra.manifest.schema import show
from cmqinfra.manifest.source import DataPath, Document
from cmqinfra.manifest.unresolved import DISCOVERED_HINT, unresolved_references
from cmqinfra.model import SourceLocation, Stack
from cmqinfra.project.deadletters import shared_dead_letter_problems
from cmqinfra.project.paths import inside, outside_message
from cmqinfra.project.units import Project, StackUnit

if TYPE_CHECKING:  # cmqinfra.yaml's reader: loaded by a project that has one (units.load_project)
    from cmqinfra.project.config import Located, ProjectConfig

# Values that name a stack: the affixes go on them as on ``stack``.
_STACK_NAMES = (("stack",), ("renamedFrom",))
_REFACTORING = ("moved", "removed", "import")
_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_NAME = re.compile(r"^(var|env)\.([A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class ResolvedUnit:
    unit: StackUnit
    stack: Stack | None  # None when there is an error
    diagnostics: tuple[Diagnostic, ...]
    documents: tuple[Document, ...]  # the manifests as the environment sees them
    files: tuple[str, ...]  # the manifest files read
    variables: frozenset[str]  # the variables the manifests use

    @property
    def ok(self) -> bool:
        return self.stack is not None


@dataclass(frozen=True)
class _Context:
    values: Mapping[str, Located]
    config: ProjectConfig | None
    environment: str | None
    region: str | None
    prefix: str
    suffix: str


def resolve_unit(project: Project, unit: StackUnit) -> ResolvedUnit:
    """Read, resolve and load one unit's stack; never raises for bad input."""
    files, diags = manifest_files(unit.paths)
    # A manifest that is a link out of the project is not read (docs/security.md, G2).
    diags.extend(Diagnostic(outside_message("manifest", os.path.relpath(f, project.root)),
                            SourceLocation(f, 1, 1))
                 for f in files if not inside(project.root, f))
    files = [f for f in files if inside(project.root, f)]
    if not files and not diags:
        diags.append(Diagnostic("the stack has no manifest files", SourceLocation(str(unit.paths[0]), 1, 1)))
    docs, problems = read_documents(files)
    diags.extend(problems)
    values: dict[str, Located] = {}
    if project.config is not None:
        values.update((v.name, v.default) for v in project.config.variables if v.default is not None)
    values.update(unit.values)
    ctx = _Context(values, project.config, unit.environment, unit.region, unit.name_prefix, unit.name_suffix)
    resolved: list[Document] = []
    used: set[str] = set()
    hints: dict[SourceLocation, str] = {}
    for doc in docs:
        if project.config is None:
            # Discovered stacks have no variables or environments: read exactly as PATH arguments are.
            resolved.append(doc)
            diags.extend(unresolved_references(doc, DISCOVERED_HINT))
            continue
        resolver = _Resolver(doc, ctx)
        resolved.append(resolver.run())
        diags.extend(resolver.diagnostics)
        used |= resolver.used
        hints.update(resolver.hints)
    unresolved = {d.location for d in diags if d.location is not None}
    result: LoadResult = load_documents(resolved, diags)
    stack = result.stack
    if stack is not None and unit.region:
        stack = replace(stack, region=unit.region)
    if stack is not None:
        stack, problems = _with_policies(stack, project, unit)
        if problems:
            return ResolvedUnit(unit, None, tuple(problems), tuple(resolved), tuple(files), frozenset(used))
    # A reference that could not be resolved is reported once, not again as the literal text it left.
    kept = [d for d in result.diagnostics if d in diags or d.location not in unresolved]
    located = tuple(_with_hint(d, hints) for d in kept)
    return ResolvedUnit(unit, stack, located, tuple(resolved), tuple(files), frozenset(used))


def _with_policies(stack: Stack, project: Project, unit: StackUnit) -> tuple[Stack, list[Diagnostic]]:
    """The stack with the project's policies and the operator's (``CMQINFRA_POLICIES``)."""
    import os

    from cmqinfra.policy.config import attach, operator_policies

    operator, problems = operator_policies(os.environ)
    if problems:
        return stack, problems
    mine = (*(project.config.policies if project.config is not None else ()), *operator)
    return (attach(stack, mine, unit.stack_name, unit.environment) if mine else stack), []


def _with_hint(diagnostic: Diagnostic, hints: Mapping[SourceLocation, str]) -> Diagnostic:
    hint = hints.get(diagnostic.location) if diagnostic.location is not None else None
    if hint is None:
        return diagnostic
    return replace(diagnostic, hint=f"{diagnostic.hint}; {hint}" if diagnostic.hint else hint)


class _Resolver:
    """Builds the resolved copy of one document: new data, the old marks under the new paths, and
    links from each interpolated value to where its variable's value was written."""

    def __init__(self, doc: Document, ctx: _Context) -> None:
        self.doc = doc
        self.ctx = ctx
        self.values: dict[DataPath, int] = {}  # packed positions (manifest/source.py)
        self.keys: dict[DataPath, int] = {}
        self.links: dict[DataPath, tuple[Document, DataPath]] = {}
        self.diagnostics: list[Diagnostic] = []
        self.used: set[str] = set()
        self.hints: dict[SourceLocation, str] = {}

    def run(self) -> Document:
        data = self._walk(self.doc.data, (), ())
        if self.ctx.region is not None and isinstance(data, dict):
            data["region"] = self.ctx.region  # the environment's region plays the manifest's role
        return Document(self.doc.file, data, self.values, self.keys, self.links)

    def _walk(self, value: Any, old: DataPath, new: DataPath) -> Any:
        mark = self.doc.mark_of(old)
        if mark is not None:
            self.values[new] = mark
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in value.items():
                old_key = old + (key,)
                new_name = self._affix(self._string(key, old_key, is_key=True), old_key)
                new_key = new + (new_name,)
                key_mark = self.doc.key_mark_of(old_key)
                if key_mark is not None:
                    self.keys[new_key] = key_mark
                out[new_name] = self._walk(item, old_key, new_key)
            self._affix_references(out, old)
            return out
        if isinstance(value, list):
            return [self._walk(item, old + (i,), new + (i,)) for i, item in enumerate(value)]
        if isinstance(value, str) and "$" in value:
            return self._value(value, old, new)
        if old in _STACK_NAMES and isinstance(value, str):
            return self.ctx.prefix + value + self.ctx.suffix
        return value

    # ------------------------------------------------------------ names

    def _affix(self, name: Any, path: DataPath) -> Any:
        """Queue and topic names (the keys under ``queues:`` and ``topics:``) get the affixes."""
        if len(path) == 2 and path[0] in ("queues", "topics") and isinstance(name, str):
            return self.ctx.prefix + name + self.ctx.suffix
        return name

    def _affix_references(self, mapping: dict[str, Any], path: DataPath) -> None:
        if not (self.ctx.prefix or self.ctx.suffix):
            return
        wrap = self.ctx.prefix + "{}" + self.ctx.suffix
        if len(path) == 3 and path[0] == "queues" and path[2] == "deadLetter":
            if isinstance(mapping.get("queue"), str):
                mapping["queue"] = wrap.format(mapping["queue"])
        elif len(path) == 4 and path[0] == "topics" and path[2] == "subscriptions":
            if mapping.get("protocol") == "queue" and isinstance(mapping.get("endpoint"), str):
                mapping["endpoint"] = wrap.format(mapping["endpoint"])
        elif len(path) == 2 and path[0] in _REFACTORING and isinstance(path[1], int):
            # queue/NAME -> queue/<prefix>NAME<suffix>; the other stack's name like this one's
            address = mapping.get("address")
            if isinstance(address, str) and "/" in address:
                kind, _, name = address.partition("/")
                mapping["address"] = f"{kind}/{wrap.format(name)}"
            for key in ("fromStack", "toStack"):
                if isinstance(mapping.get(key), str):
                    mapping[key] = wrap.format(mapping[key])

    # ------------------------------------------------------------ interpolation

    def _value(self, text: str, old: DataPath, new: DataPath) -> Any:
        result = self._substitute(text, old, new)
        if old in _STACK_NAMES and isinstance(result, str):
            return self.ctx.prefix + result + self.ctx.suffix
        return result

    def _substitute(self, text: str, old: DataPath, new: DataPath) -> Any:
        whole = _REFERENCE.fullmatch(text)
        if whole is not None and whole.group(1) is not None:
            found = self._lookup(whole.group(1), old)
            if found is None:
                return text
            value, origin = found
            if origin is not None:
                self._link(new, origin, old)
            return self._plain_copy(value)
        return self._string(text, old, is_key=False, new=new)

    def _string(self, text: Any, old: DataPath, *, is_key: bool, new: DataPath | None = None) -> Any:
        if not isinstance(text, str) or "$" not in text:
            return text
        origins: list[Located] = []
        failed = False

        def one(match: re.Match[str]) -> str:
            nonlocal failed
            if match.group(1) is None:
                return "${"
            found = self._lookup(match.group(1), old, is_key=is_key)
            if found is None:
                failed = True
                return match.group(0)
            value, origin = found
            if isinstance(value, (dict, list)) or value is None:
                failed = True
                self._report(f"${{{match.group(1).strip()}}} is {show(value)} and cannot be part of a string",
                             old, is_key)
                return match.group(0)
            if origin is not None:
                origins.append(origin)
            if isinstance(value, bool):
                return "true" if value else "false"
            return str(value)

        result = _REFERENCE.sub(one, text)
        if not failed and len(origins) == 1 and new is not None:
            self._link(new, origins[0], old)
        return result

    def _lookup(
        self, reference: str, old: DataPath, is_key: bool = False
    ) -> tuple[Any, Located | None] | None:
        name = _NAME.match(reference.strip())
        if name is None:
            self._report(f"${{{reference}}} is not a reference this project knows "
                         "(${var.NAME}, ${env.name} or ${env.region}; $${ for a literal ${)", old, is_key)
            return None
        space, key = name.groups()
        if space == "env":
            if key == "name" and self.ctx.environment is not None:
                return self.ctx.environment, None
            if key == "region" and self.ctx.region is not None:
                return self.ctx.region, None
            what = "environment" if key == "name" else "region from its environment"
            self._report(f"${{env.{key}}} has no value here: this stack has no {what}", old, is_key)
            return None
        self.used.add(key)
        value = self.ctx.values.get(key)
        if value is not None:
            return value.value, value
        config = self.ctx.config
        if config is None or config.variable(key) is None:
            declared = {v.name: v for v in config.variables} if config else {}
            from cmqinfra.project.config import unknown_variable

            self.diagnostics.append(unknown_variable(key, self._where(old, is_key), declared))
            return None
        env = f"environment {self.ctx.environment!r}" if self.ctx.environment else "this project"
        self._report(f"variable {show(key)} has no value in {env} and no default", old, is_key,
                     hint="set it in the environment's values or valueFiles, or give it a default")
        return None

    def _link(self, new: DataPath, origin: Located, old: DataPath) -> None:
        self.links[new] = (origin.doc, origin.path)
        used_at = self.doc.at(old)
        self.hints[origin.doc.at(origin.path)] = f"the value comes from a variable used at {used_at}"

    def _where(self, old: DataPath, is_key: bool) -> SourceLocation:
        return self.doc.key_at(old) if is_key else self.doc.at(old)

    def _report(self, message: str, old: DataPath, is_key: bool, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, self._where(old, is_key), hint=hint))

    @staticmethod
    def _plain_copy(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: _Resolver._plain_copy(v) for k, v in value.items()}
        if isinstance(value, list):
            return [_Resolver._plain_copy(v) for v in value]
        return value


def resolved_yaml(resolved: ResolvedUnit) -> str:
    """The resolved manifests as YAML, one document per file, each headed by the file it came from."""
    from cmqinfra.manifest.pyyaml import yaml  # a plan never shows the resolved manifests

    parts = []
    for doc in resolved.documents:
        body = yaml.safe_dump(doc.data, sort_keys=False, allow_unicode=True, default_flow_style=False)
        parts.append(f"# {doc.file}\n---\n{body}")
    return "".join(parts)


def resolve_all(project: Project, units: Sequence[StackUnit]) -> list[ResolvedUnit]:
    """Every unit resolved; two units that would own the same stack on the same target fail."""
    out = [resolve_unit(project, unit) for unit in units]
    seen: dict[tuple[object, ...], ResolvedUnit] = {}
    for index, item in enumerate(out):
        if item.stack is None:
            continue
        target = item.unit.target
        key = (item.stack.name, target.endpoint, target.account, item.stack.region)
        first = seen.setdefault(key, item)
        if first is item:
            continue
        env = project.config.environment(str(item.unit.environment)) if project.config else None
        clash = Diagnostic(
            f"{first.unit.key} and {item.unit.key} would both manage stack {item.stack.name!r} on the same "
            "endpoint, account and region: each would delete what the other creates",
            env.location if env else item.stack.source,
            hint="give one environment a namePrefix or nameSuffix, or another region, endpoint or account")
        out[index] = replace(item, stack=None, diagnostics=(*item.diagnostics, clash))
    shared = [((u.unit.target.endpoint, u.unit.target.account, u.stack.region if u.stack else None), u.stack)
              for u in out]
    for index, problem in shared_dead_letter_problems(shared):
        out[index] = replace(out[index], stack=None, diagnostics=(*out[index].diagnostics, problem))
    return out
