"""Reading the files ``cmqinfra import-terraform`` is given: the only I/O of the migration.

A directory stands for a Terraform root module: its ``*.tf``, ``terraform.tfvars``,
``*.auto.tfvars`` and ``terraform.tfstate``. Files are taken by their suffix: ``.tf``,
``.tfvars``, ``.tfstate`` / ``.json`` (a state, e.g. from ``terraform state pull``). Local child
modules (``source = "./modules/queue"``) are read too, only from inside the directory given
(a module source is repository text: it may not lead the import elsewhere). Files larger than
the manifests' limit (5 MB) are refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.migrate.bounds import MAX_FILE_BYTES
from cmqinfra.migrate.hclsource import HclFile, parse_hcl
from cmqinfra.migrate.terraform import TerraformSources, is_local_module, module_key
from cmqinfra.migrate.tfstate import StateInstance, parse_state
from cmqinfra.model import SourceLocation

STATE_FILE = "terraform.tfstate"


def _directory_files(folder: Path) -> list[Path]:
    files = sorted(folder.glob("*.tf"))
    if (folder / "terraform.tfvars").is_file():
        files.append(folder / "terraform.tfvars")
    files.extend(sorted(folder.glob("*.auto.tfvars")))
    if (folder / STATE_FILE).is_file():
        files.append(folder / STATE_FILE)
    return files


def _read_text(path: Path) -> tuple[str | None, list[Diagnostic]]:
    where = SourceLocation(str(path), 1, 1)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            limit = MAX_FILE_BYTES // (1024 * 1024)
            return None, [Diagnostic(f"file is too large ({size} bytes; the limit is {limit} MB)", where)]
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            return None, [Diagnostic("file is too large (the limit is 5 MB)", where)]
        return raw.decode("utf-8"), []
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Diagnostic(f"cannot read: {exc.__class__.__name__}", where)]


_MAX_MODULES = 64


def _read_modules(
    configs: list[HclFile], roots: list[Path], diagnostics: list[Diagnostic]
) -> dict[str, tuple[HclFile, ...]]:
    """Every local module the configurations call, by ``module_key``, read breadth first."""
    modules: dict[str, tuple[HclFile, ...]] = {}
    pending = list(configs)
    while pending:
        config = pending.pop(0)
        for block in config.blocks:
            source = block.get("source") if block.type == "module" else None
            text = source.raw if source is not None else None
            if not (isinstance(text, str) and len(text) >= 2 and text[0] == text[-1] == '"'):
                continue
            text = text[1:-1]
            if not is_local_module(text):
                continue
            key = module_key(block.location.file, text)
            if key in modules:
                continue
            folder = Path(key)
            real = folder.resolve()
            if not any(real == root or root in real.parents for root in roots):
                diagnostics.append(
                    Diagnostic(
                        f"module source {text!r} leads outside the directory given; not read",
                        source.location,  # type: ignore[union-attr]
                        hint="import from a directory that contains the module",
                    )
                )
                modules[key] = ()
                continue
            if len(modules) >= _MAX_MODULES:
                diagnostics.append(
                    Diagnostic(f"more than {_MAX_MODULES} local modules; not read", block.location)
                )
                continue
            files: list[HclFile] = []
            for path in sorted(folder.glob("*.tf")) if folder.is_dir() else ():
                content, problems = _read_text(path)
                diagnostics.extend(problems)
                if content is None:
                    continue
                parsed, problems = parse_hcl(str(path), content)
                diagnostics.extend(problems)
                if parsed is not None:
                    files.append(parsed)
            if not files:
                diagnostics.append(
                    Diagnostic(f"module source {text!r} has no readable *.tf files", source.location)  # type: ignore[union-attr]
                )
            modules[key] = tuple(files)
            pending.extend(files)
    return {k: v for k, v in modules.items() if v}


def read_sources(
    paths: Sequence[str],
    variables: Mapping[str, object],
    environment: Mapping[str, object] | None = None,
    provider: str | None = None,
) -> tuple[TerraformSources, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    files: list[Path] = []
    roots: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            roots.append(path.resolve())
            found = _directory_files(path)
            if not found:
                diagnostics.append(
                    Diagnostic(
                        "directory has no *.tf files and no terraform.tfstate", SourceLocation(given, 1, 1)
                    )
                )
            files.extend(found)
        elif path.is_file():
            roots.append(path.resolve().parent)
            files.append(path)
        else:
            diagnostics.append(Diagnostic("no such file or directory", SourceLocation(given, 1, 1)))
    configs: list[HclFile] = []
    tfvars: list[HclFile] = []
    state: list[StateInstance] = []
    for path in files:
        name = str(path)
        text, problems = _read_text(path)
        diagnostics.extend(problems)
        if text is None:
            continue
        if path.name.endswith(".tf.json"):
            diagnostics.append(
                Diagnostic(
                    "Terraform JSON configuration (.tf.json) is not read; use the .tf files or the state",
                    SourceLocation(name, 1, 1),
                )
            )
        elif path.suffix in (".tfstate", ".json") or path.name.endswith(".tfstate.backup"):
            instances, problems = parse_state(name, text)
            state.extend(instances)
            diagnostics.extend(problems)
        elif path.suffix in (".tf", ".tfvars"):
            parsed, problems = parse_hcl(name, text)
            diagnostics.extend(problems)
            if parsed is not None:
                (tfvars if path.suffix == ".tfvars" else configs).append(parsed)
        else:
            diagnostics.append(Diagnostic("not a .tf, .tfvars or .tfstate file", SourceLocation(name, 1, 1)))
    modules = _read_modules(configs, roots, diagnostics)
    sources = TerraformSources(
        tuple(configs),
        tuple(tfvars),
        dict(variables),
        tuple(state),
        environment=dict(environment or {}),
        modules=modules,
        provider=provider,
    )
    return sources, diagnostics


def environment_variables(environ: Mapping[str, str]) -> dict[str, object]:
    """TF_VAR_NAME values, as Terraform reads them (below the tfvars files in precedence)."""
    from cmqinfra.migrate.resolve import plain_variable

    prefix = "TF_VAR_"
    return {
        key[len(prefix) :]: plain_variable(value)
        for key, value in environ.items()
        if key.startswith(prefix) and key != prefix
    }
