"""Export end to end: list, read through the adapter, select, write the manifest text."""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from cmqinfra.cloud.api import CmqApi
from cmqinfra.export.defaults import Defaults, schema_defaults
from cmqinfra.export.document import build_document, render_yaml, select
from cmqinfra.export.inventory import list_all, read_everything
from cmqinfra.manifest.schema import SCHEMA_RESOURCE, manifest_schema

YAML_SUFFIXES = (".yaml", ".yml")


def _schema_file() -> Path | None:
    """The schema file as shipped with the package, when it is a real file."""
    packaged = resources.files("cmqinfra").joinpath(SCHEMA_RESOURCE)
    return Path(str(packaged)) if packaged.is_file() else None


def _schema() -> dict[str, Any]:
    return manifest_schema()


def defaults() -> Defaults:
    return schema_defaults(_schema())


def schema_ref(destination: Path | None) -> str | None:
    """What the yaml-language-server comment points at: a ``schemas/manifest.schema.json`` in a
    folder above the written file (a repository that vendors the schema, as the examples do),
    else the schema's ``$id``, else the installed schema file."""
    base = (destination.parent if destination else Path.cwd()).resolve()
    for folder in (base, *base.parents):
        vendored = folder / SCHEMA_RESOURCE
        if vendored.is_file():
            return Path(os.path.relpath(vendored, base)).as_posix()
    schema_id = str(_schema().get("$id", ""))
    if schema_id.startswith(("http://", "https://")):
        return schema_id
    path = _schema_file()
    return Path(os.path.relpath(path, base)).as_posix() if path else None


def output_path(output: str, stack: str | None) -> Path:
    """``-o FILE.yaml`` is that file; anything else is a directory that gets ``<stack>.yaml``."""
    from cmqinfra.export.document import DEFAULT_IMPORT_STACK

    target = Path(output)
    if target.suffix in YAML_SUFFIXES and not target.is_dir():
        return target
    return target / f"{stack or DEFAULT_IMPORT_STACK}.yaml"


def export_text(
    api: CmqApi, stack: str | None, include_unowned: bool, region: str | None, destination: Path | None,
    shape: Callable[[dict[str, object]], dict[str, object]] | None = None,
) -> tuple[str, int]:
    """The manifest text and how many resources owned by other stacks were left out. ``shape``:
    the document as a project's stack writes it (its environment's names and region taken out)."""
    from cmqinfra.export.document import DEFAULT_IMPORT_STACK
    from cmqinfra.export.listing import page_readers

    stack_name = stack or DEFAULT_IMPORT_STACK
    if include_unowned:
        queue_pages, topic_pages = page_readers(api)
        live = read_everything(api, stack_name, list_all(queue_pages), list_all(topic_pages))
    else:
        live = read_everything(api, stack_name, (), ())
    selection = select(live, stack_name, include_unowned, region)
    document = build_document(selection, defaults())
    if shape is not None:
        document = shape(document)
    return render_yaml(document, schema_ref(destination)), selection.skipped_foreign
