"""load_stack: files or directories in, a Stack (or every problem, located) out."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path

from cmqinfra.diagnostics import Diagnostic, Severity
from cmqinfra.gcpause import collector_paused
from cmqinfra.manifest import checks, refactor
from cmqinfra.manifest.build import build_queue, build_subscription, build_topic
from cmqinfra.manifest.entries import Entry, as_mapping, collect, stack_defaults
from cmqinfra.manifest.schema import check_document, show
from cmqinfra.manifest.source import Document, read_document
from cmqinfra.manifest.unresolved import PATH_HINT, unresolved_references
from cmqinfra.model import SourceLocation, Stack

MANIFEST_SUFFIXES = (".yaml", ".yml")
# Message-flow tests (cmqinfra test) live beside the manifests; a directory's stack skips them.
TEST_FILE_SUFFIXES = (".cmqtest.yaml", ".cmqtest.yml")


@dataclass(frozen=True)
class LoadResult:
    """The outcome of loading: a Stack when there are no errors, and every diagnostic found."""

    stack: Stack | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.stack is not None


def manifest_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[str], list[Diagnostic]]:
    """Expand files and directories (their *.yaml / *.yml, sorted) into a list of files."""
    files: list[str] = []
    diags: list[Diagnostic] = []
    seen: set[str] = set()
    for given in paths:
        path = Path(given)
        where = SourceLocation(str(given), 1, 1)
        if path.is_dir():
            try:
                candidates = sorted(p for p in path.iterdir() if _is_manifest_name(p.name))
            except OSError as exc:
                diags.append(Diagnostic(f"cannot read directory: {exc.strerror or exc}", where))
                continue
            found = []
            for p in candidates:
                if p.is_symlink() and not p.exists():
                    diags.append(Diagnostic(
                        f"broken symbolic link: {p} points to {os.readlink(p)}, which does not exist",
                        SourceLocation(str(p), 1, 1)))
                elif p.is_file():
                    found.append(str(p))
            if not candidates:
                diags.append(Diagnostic("directory has no *.yaml or *.yml manifests", where))
        elif path.exists() or path.is_symlink():
            found = [str(given)]
        else:
            diags.append(Diagnostic("no such file or directory", where))
            continue
        for name in found:
            real = os.path.realpath(name)
            if real not in seen:
                seen.add(real)
                files.append(name)
    return files, diags


def _is_manifest_name(name: str) -> bool:
    """A *.yaml / *.yml file, not hidden: dotfiles (``.old.yaml``, editor locks ``.#a.yaml``)
    are ignored, as Terraform ignores them in a module directory."""
    return (
        not name.startswith(".")
        and Path(name).suffix in MANIFEST_SUFFIXES
        and not name.endswith(TEST_FILE_SUFFIXES)
    )


def load_stack(paths: Sequence[str | os.PathLike[str]]) -> LoadResult:
    """Load one stack from manifest files and/or directories.

    Never raises for bad input: every problem is a Diagnostic with a location, sorted by
    file, line and column. ``stack`` is None whenever there is an error.
    """
    with collector_paused():
        return _load_stack(paths)


def read_documents(files: Sequence[str]) -> tuple[list[Document], list[Diagnostic]]:
    """Parse manifest files; the diagnostics say why a file could not be read."""
    docs: list[Document] = []
    diags: list[Diagnostic] = []
    for file in files:
        doc, problems = read_document(file)
        diags.extend(problems)
        if doc is not None:
            docs.append(doc)
    return docs, diags


def _load_stack(paths: Sequence[str | os.PathLike[str]]) -> LoadResult:
    files, diags = manifest_files(paths)
    if not files and not diags:
        diags.append(Diagnostic("no manifest files given", SourceLocation(".", 1, 1)))
    docs, problems = read_documents(files)
    problems += [d for doc in docs for d in unresolved_references(doc, PATH_HINT)]
    return load_documents(docs, diags + problems)


def load_documents(docs: Sequence[Document], diagnostics: Sequence[Diagnostic] = ()) -> LoadResult:
    """One stack from parsed documents (``diagnostics``: problems already found reading them).

    The project layer calls this with documents whose variables it has resolved."""
    with collector_paused():
        return _load_documents(docs, list(diagnostics))


def _load_documents(docs: Sequence[Document], diags: list[Diagnostic]) -> LoadResult:
    # A value already reported as unreadable YAML is not reported again by the schema.
    structural = {d.location for d in diags}
    for doc in docs:
        diags.extend(d for d in check_document(doc) if d.location not in structural)
        diags.extend(checks.check_reserved_tags(doc))
    identity, stack_diags = _stack_identity(docs)
    name, region = identity.get("stack", (None, None))[0], identity.get("region", (None, None))[0]
    stack_loc = identity["stack"][1] if "stack" in identity else None
    renamed_from = identity.get("renamedFrom", (None, None))[0]
    diags.extend(stack_diags)
    defaults, default_diags = stack_defaults(docs)
    diags.extend(default_diags)
    entries = [e for doc in docs for e in collect(doc, defaults)]
    declarations = [d for doc in docs for d in refactor.collect(doc)]
    queues = [e for e in entries if e.kind == "queue"]
    topics = [e for e in entries if e.kind == "topic"]
    subscriptions = [e for e in entries if e.kind == "subscription"]
    diags.extend(checks.check_names(entries))
    diags.extend(checks.check_unique(entries))
    diags.extend(checks.check_dead_letters(queues))
    diags.extend(checks.check_dead_letter_cycles(queues))
    diags.extend(checks.check_dead_letter_rules(queues))
    diags.extend(checks.check_rewind(queues))
    diags.extend(checks.check_subscriptions(topics, subscriptions))
    diags.extend(checks.check_tags(entries))
    diags.extend(refactor.check(declarations, entries, name, renamed_from))
    if renamed_from is not None and renamed_from == name:
        diags.append(Diagnostic(f"renamedFrom {show(renamed_from)} is this stack's own name",
                                identity["renamedFrom"][1], hint="name the stack's previous name"))
    diags = _sorted(diags)
    if any(d.severity is Severity.ERROR for d in diags) or name is None:
        return LoadResult(None, diags)
    moved, removed, imports = refactor.build(declarations)
    stack = Stack(
        name=name,
        region=region,
        queues=tuple(sorted([build_queue(e) for e in queues], key=_BY_NAME)),
        topics=tuple(sorted([build_topic(e) for e in topics], key=_BY_NAME)),
        subscriptions=tuple(
            sorted([build_subscription(e) for e in subscriptions], key=_BY_TOPIC_AND_NAME)
        ),
        source=stack_loc,
        renamed_from=renamed_from,
        moved=moved,
        removed=removed,
        imports=imports,
    )
    return LoadResult(stack, diags)


# Sort keys read by C, not a Python call per resource.
_BY_NAME = attrgetter("name")
_BY_TOPIC_AND_NAME = attrgetter("topic", "name")


def _stack_identity(
    docs: Sequence[Document],
) -> tuple[dict[str, tuple[str, SourceLocation]], list[Diagnostic]]:
    """The stack name, region and previous name all files agree on (each with where it was
    first written); a conflict names both places."""
    diags: list[Diagnostic] = []
    found: dict[str, tuple[str, SourceLocation]] = {}
    for doc in docs:
        data = as_mapping(doc.data)
        for key in ("stack", "region", "renamedFrom"):
            value = data.get(key)
            if not isinstance(value, str):
                continue
            here = doc.at((key,))
            if key not in found:
                found[key] = (value, here if key == "renamedFrom" else doc.key_at((key,)))
            elif found[key][0] != value:
                first_value, first_loc = found[key]
                diags.append(Diagnostic(
                    f"{key} {show(value)} conflicts with {key} {show(first_value)} in "
                    f"{first_loc.file}:{first_loc.line}; all files of one stack name the same {key}", here))
    return found, diags


def _sorted(diags: list[Diagnostic]) -> list[Diagnostic]:
    unique = list(dict.fromkeys(diags))

    def key(d: Diagnostic) -> tuple[str, int, int, str]:
        loc = d.location
        return (loc.file, loc.line, loc.column, d.message) if loc else ("", 0, 0, d.message)

    return sorted(unique, key=key)


__all__ = ["Entry", "LoadResult", "load_documents", "load_stack", "manifest_files", "read_documents"]
