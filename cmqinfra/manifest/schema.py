"""The manifest's JSON Schema: loading it, checking documents against it, reading its defaults.

The schema file is the single source of truth for structure, ranges and defaults; this module
only turns jsonschema's errors into located, human diagnostics.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.source import DataPath, Document

if TYPE_CHECKING:  # jsonschema is imported only when a document is invalid: it costs more than a check
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_RESOURCE = "schemas/manifest.schema.json"


def schema_bytes() -> bytes:
    """The schema file exactly as shipped: beside the package's modules when it is installed as files
    (read directly: importlib.resources would load tempfile and more on every start)."""
    shipped = Path(__file__).resolve().parent.parent / SCHEMA_RESOURCE
    if shipped.is_file():
        return shipped.read_bytes()
    from importlib import resources  # a package inside an archive

    return (resources.files("cmqinfra") / SCHEMA_RESOURCE).read_bytes()


@lru_cache(maxsize=1)
def manifest_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_bytes())
    return schema


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(manifest_schema())


def schema_default(kind: str, key: str) -> Any:
    """The ``default`` keyword of a queue/topic/subscription property (None when it has none)."""
    return manifest_schema()["$defs"][kind]["properties"][key].get("default")


_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "empty",
}


def show(value: Any, limit: int = 60) -> str:
    """A value as the user would recognize it, on one line and bounded in length."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, dict):
        text = "a mapping"
    elif isinstance(value, list):
        text = "a list"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def field_name(path: DataPath) -> str:
    """How a path reads in a message: the last key, with a trailing list index."""
    if not path:
        return "the manifest"
    last = path[-1]
    if isinstance(last, int):
        parent = str(path[-2]) if len(path) > 1 else "item"
        return f"{parent if parent.isprintable() else show(parent)}[{last}]"
    text = str(last)
    # A key is a name the user wrote; one with a line break or control character is quoted, so a
    # diagnostic stays one line.
    return text if text.isprintable() else show(text)


def describe(path: DataPath) -> str:
    """What a path names, in the user's words: queue "orders", subscription "audit" of topic "x"."""
    if len(path) == 2 and path[0] == "queues":
        return f"queue {show(path[1])}"
    if len(path) == 2 and path[0] == "topics":
        return f"topic {show(path[1])}"
    if len(path) == 4 and path[0] == "topics" and path[2] == "subscriptions":
        return f"subscription {show(path[3])} of topic {show(path[1])}"
    return field_name(path)


def is_valid_fast(data: Any) -> bool:
    """The schema compiled to Python ahead of time (tools/compile_schemas.py, fastjsonschema's
    code shipped in the package): no compiling and no jsonschema at start-up, and about 15x
    faster than jsonschema on a valid 10,000-queue manifest. The schema uses only keywords
    draft-07 shares with 2020-12, so the two agree (tests/manifest/test_schema_fast_path.py). It
    only ever accepts: any document it rejects goes through jsonschema, which words and locates
    the diagnostics."""
    from cmqinfra.manifest.compiled.manifest import accept

    return bool(accept(data))


def check_document(doc: Document) -> list[Diagnostic]:
    """Every schema violation in one document, each located and worded for people."""
    if is_valid_fast(doc.data):
        return []
    return check_against(doc, _validator())


def check_against(doc: Document, validator: Draft202012Validator) -> list[Diagnostic]:
    """Every violation of ``validator``'s schema in ``doc``, located and worded like the
    manifest's own (the project file ``cmqinfra.yaml`` is checked this way too)."""
    out: list[Diagnostic] = []
    for error in validator.iter_errors(doc.data):
        out.extend(_diagnose(doc, error))
    return out


def _diagnose(doc: Document, error: ValidationError) -> list[Diagnostic]:
    path: DataPath = tuple(error.absolute_path)
    name = field_name(path)
    value = error.instance
    keyword = error.validator
    bound = error.validator_value
    if keyword == "additionalProperties" and isinstance(value, dict):
        known = sorted(error.schema.get("properties", {}))
        diags = []
        for key in value:
            if key in known:
                continue
            import difflib  # only wording an error needs it

            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f'did you mean "{close[0]}"?' if close else _known_hint(known)
            diags.append(Diagnostic(f"unknown field {show(key)}", doc.key_at(path + (key,)), hint=hint))
        return diags
    if keyword == "required":
        missing = [key for key in bound if isinstance(value, dict) and key not in value]
        where = doc.key_at(path) if path else doc.at(path)
        owner = f" in {describe(path)}" if path else ""
        return [Diagnostic(f"missing required field {show(key)}{owner}", where) for key in missing]
    loc = doc.at(path)
    if "propertyNames" in error.absolute_schema_path and isinstance(value, str):
        # jsonschema reports a bad key with the key as instance and the mapping's path.
        loc = doc.key_at(path + (value,))
        name = f"key in {name}"
    if keyword == "type":
        types = bound if isinstance(bound, list) else [bound]
        words = [_TYPE_WORDS.get(t, t) if len(types) == 1 or t != "boolean" else "true, false" for t in types]
        wanted = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
        return [Diagnostic(f"{name} must be {wanted} (got {show(value)})", loc)]
    if keyword == "minimum":
        return [Diagnostic(f"{name} must be at least {bound} (got {show(value)})", loc)]
    if keyword == "maximum":
        return [Diagnostic(f"{name} must be at most {bound} (got {show(value)})", loc)]
    if keyword == "enum":
        choices = ", ".join(str(c) for c in bound)
        return [Diagnostic(f"{name} must be one of {choices} (got {show(value)})", loc)]
    if keyword == "maxItems":
        return [Diagnostic(f"{name} may have at most {bound} items (got {len(value)})", loc)]
    if keyword == "maxLength":
        return [Diagnostic(f"{name} must be at most {bound} characters long (got {show(value)})", loc)]
    if keyword == "minLength":
        return [Diagnostic(f"{name} must not be empty", loc)]
    if keyword == "pattern":
        return [Diagnostic(f"{name} must match {bound} (got {show(value)})", loc)]
    return [Diagnostic(f"{name}: {error.message}", loc)]


def diagnose_error(doc: Document, error: ValidationError) -> list[Diagnostic]:
    """One jsonschema error as located diagnostics, for any schema read from a Document."""
    return _diagnose(doc, error)


def _known_hint(known: list[str]) -> str:
    return "known fields: " + ", ".join(known) if known else "no fields are allowed here"
