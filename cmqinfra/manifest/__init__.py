"""Manifests: YAML files in, a located list of problems or a cmqinfra.model.Stack out.

``load_stack(paths)`` reads files and directories, checks them against the JSON Schema
(``cmqinfra/schemas/manifest.schema.json``) and the semantic rules, and builds the Stack.
"""

from cmqinfra.manifest.loader import LoadResult, load_documents, load_stack, manifest_files, read_documents

__all__ = ["LoadResult", "load_documents", "load_stack", "manifest_files", "read_documents"]
