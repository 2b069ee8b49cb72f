"""The manifest reference (docs/manifest-reference.md), generated from the JSON Schema.

Run ``python -m cmqinfra.manifest.reference > docs/manifest-reference.md`` after changing the
schema; a test regenerates it and compares, so the two cannot drift.
"""

from __future__ import annotations

from typing import Any

from cmqinfra.manifest.schema import manifest_schema

_INTRO = """\
# Manifest reference

Generated from `schemas/manifest.schema.json` by `python -m cmqinfra.manifest.reference`;
do not edit by hand. Start a manifest with
`# yaml-language-server: $schema=../schemas/manifest.schema.json` for completion and checks in
editors, and run `cmqinfra validate PATH...` to check it (every problem, with file:line:column).

A stack is one file or several (a directory: all its `*.yaml` / `*.yml`, merged). Every file
names the same `stack`; a queue or topic is declared in one file only. Queue, topic and
subscription names start with a letter and contain only letters, digits, `-` and `_` (1 to 64
characters); queue names may not end in `-retry` or `-dlq`; queue names and topic names are
unique case-insensitively. An attribute with a default reverts to it when omitted; one without
a default is left as the service has it when omitted.

The `defaults` block shares settings between the resources of its file: each queue, topic or
subscription starts from `defaults.queue` / `defaults.topic` / `defaults.subscription` and its
own values win (tags merge key by key).

Refactoring without deleting: `moved` hands a queue or topic to another stack (its ownership
tag changes, it is never deleted or re-created), `renamedFrom` renames the stack, `removed`
stops managing a resource and keeps it, `import` adopts an existing resource by declaration.

```yaml
stack: billing
renamedFrom: billing-v1            # everything billing-v1 owned is retagged as billing's
moved:
  - {address: queue/invoices, fromStack: payments}   # billing declares queues.invoices
removed:
  - {address: queue/legacy-jobs}   # kept, no longer managed
import:
  - {address: topic/ledger-events} # exists already; declared under topics
```

Manifests are plain YAML: one document per file, UTF-8, at most 5 MB, nested at most 32
levels, with no anchors, aliases or `!!tags` (use `defaults` to share settings).
"""

_SECTIONS: list[tuple[str, tuple[str, ...]]] = [
    ("Top level", ()),
    ("defaults.queue", ("properties", "defaults", "properties", "queue")),
    ("defaults.topic", ("properties", "defaults", "properties", "topic")),
    ("defaults.subscription", ("properties", "defaults", "properties", "subscription")),
    ("queues.NAME", ("$defs", "queue")),
    ("queues.NAME.deadLetter", ("$defs", "queue", "properties", "deadLetter")),
    ("queues.NAME.transaction", ("$defs", "queue", "properties", "transaction")),
    ("topics.NAME", ("$defs", "topic")),
    ("topics.NAME.subscriptions.NAME", ("$defs", "subscription")),
    ("moved[]", ("$defs", "moved")),
    ("removed[]", ("$defs", "removed")),
    ("import[]", ("$defs", "import")),
]


def _at(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    node = schema
    for part in path:
        node = node[part]
    return node


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return "mapping of NAME to " + prop["$ref"].rsplit("/", 1)[-1]
    if "additionalProperties" in prop and isinstance(prop["additionalProperties"], dict):
        inner = prop["additionalProperties"]
        if "$ref" in inner:
            return "mapping of NAME to " + inner["$ref"].rsplit("/", 1)[-1]
        return "mapping of string to " + str(inner.get("type", "any"))
    kind = prop.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        items = prop.get("items", {})
        if "$ref" in items:
            return "list of " + items["$ref"].rsplit("/", 1)[-1]
        return f"list of {items.get('type', 'any')}"
    return str(kind)


def _allowed(prop: dict[str, Any]) -> str:
    parts = []
    if "enum" in prop:
        parts.append(" \\| ".join(f"`{v}`" for v in prop["enum"]))
    if "minimum" in prop or "maximum" in prop:
        parts.append(f"{prop.get('minimum', '')}..{prop.get('maximum', '')}")
    if "pattern" in prop:
        parts.append(f"`{prop['pattern']}`")
    if "maxItems" in prop:
        parts.append(f"at most {prop['maxItems']} items")
    items = prop.get("items", {})
    if isinstance(items, dict) and "maxLength" in items:
        parts.append(f"each at most {items['maxLength']} characters")
    return "; ".join(parts)


def _default(prop: dict[str, Any]) -> str:
    if "default" not in prop:
        return ""
    value = prop["default"]
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"`{value}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_reference(schema: dict[str, Any] | None = None) -> str:
    """The whole reference as Markdown."""
    schema = schema or manifest_schema()
    lines = [_INTRO]
    for title, path in _SECTIONS:
        node = _at(schema, path)
        required = set(node.get("required", ()))
        lines.append(f"## `{title}`\n" if path else f"## {title}\n")
        if path and node.get("description"):
            lines.append(node["description"] + "\n")
        lines.append("| field | type | allowed | default | description |")
        lines.append("| --- | --- | --- | --- | --- |")
        for key, prop in node.get("properties", {}).items():
            name = f"`{key}`" + (" (required)" if key in required else "")
            lines.append(
                f"| {name} | {_cell(_type(prop))} | {_cell(_allowed(prop))} | {_default(prop)} | "
                f"{_cell(prop.get('description', ''))} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    print(render_reference(), end="")


if __name__ == "__main__":
    main()
