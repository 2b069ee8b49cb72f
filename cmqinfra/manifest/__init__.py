"""Manifests: YAML files in, a located list of problems or a cmqinfra.model.Stack out.

``load_stack(paths)`` reads files and directories, checks them against the JSON Schema
(``cmqinfra/schemas/manifest.schema.json``) and the semantic rules, and builds the Stack.
"""

# first: PyYAML is imported with its costly pattern compiled from a cheaper spelling (pyyaml.py)
from cmqinfra.manifest import pyyaml  # noqa: F401
from cmqinfra.manifest.loader import LoadResult, load_documents, load_stack, manifest_files, read_documents

__all__ = ["LoadResult", "load_documents", "load_stack", "manifest_files", "read_documents"]
