"""Reading the files ``cmqinfra import-terraform`` is given: the only I/O of the migration.

A directory stands for a Terraform root module: its ``*.tf``, ``terraform.tfvars``,
``*.auto.tfvars`` and ``terraform.tfstate``. Files are taken by their suffix: ``.tf``,
``.tfvars``, ``.tfstate`` / ``.json`` (a state, e.g. from ``terraform state pull``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.migrate.hclsource import HclFile, parse_hcl
from cmqinfra.migrate.terraform import TerraformSources
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


def read_sources(
    paths: Sequence[str], variables: Mapping[str, object]
) -> tuple[TerraformSources, list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = _directory_files(path)
            if not found:
                diagnostics.append(
                    Diagnostic(
                        "directory has no *.tf files and no terraform.tfstate", SourceLocation(given, 1, 1)
                    )
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            diagnostics.append(Diagnostic("no such file or directory", SourceLocation(given, 1, 1)))
    configs: list[HclFile] = []
    tfvars: list[HclFile] = []
    state: list[StateInstance] = []
    for path in files:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            diagnostics.append(
                Diagnostic(f"cannot read: {exc.__class__.__name__}", SourceLocation(name, 1, 1))
            )
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
    sources = TerraformSources(tuple(configs), tuple(tfvars), dict(variables), tuple(state))
    return sources, diagnostics
