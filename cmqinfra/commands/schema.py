"""`cmqinfra schema`: print the manifest JSON Schema exactly as shipped."""

from __future__ import annotations

import sys

import click

from cmqinfra.manifest.schema import schema_bytes


@click.command("schema")
def command() -> None:
    """Print the manifest JSON Schema (point your editor at it for completion and checks)."""
    sys.stdout.flush()
    sys.stdout.buffer.write(schema_bytes())
    sys.stdout.buffer.flush()
