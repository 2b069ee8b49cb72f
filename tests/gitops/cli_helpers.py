"""Running cmqinfra commands in-process against an emulator endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from cmqinfra.cli import cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def run(*args: str) -> Outcome:
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


def example_manifests() -> list[Path]:
    return sorted(
        p for p in EXAMPLES.glob("*.y*ml") if p.suffix in (".yaml", ".yml") and ".cmqtest." not in p.name
    )
