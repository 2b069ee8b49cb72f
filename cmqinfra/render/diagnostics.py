"""Located problems for tools and pull requests: validation errors, refused plans, failures.

JSON follows ``terraform validate -json``: ``valid``, ``error_count``, ``warning_count`` and a
``diagnostics`` array whose entries have ``severity``, ``summary``, ``detail`` and a ``range``
(``filename``, ``start`` / ``end`` with ``line`` and ``column``); cmqinfra adds the flat
``file`` / ``line`` / ``column`` / ``message`` / ``hint``. Markdown is a failure heading and the
``file:line:col`` list, ready to post as a comment. Both are per stack, so a comment over many
stacks can put one after another.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cmqinfra.diagnostics import Diagnostic, Severity
from cmqinfra.render import escape

FORMAT_VERSION = "1.0"


def diagnostic_to_json(d: Diagnostic) -> dict[str, Any]:
    loc = d.location
    body: dict[str, Any] = {
        "severity": d.severity.value,
        "summary": d.message,
        "detail": d.hint or "",
        "range": None
        if loc is None
        else {
            "filename": loc.file,
            "start": {"line": loc.line, "column": loc.column},
            "end": {"line": loc.line, "column": loc.column},
        },
    }
    body.update(d.to_json())
    return body


def diagnostic_from_json(data: dict[str, Any]) -> Diagnostic:
    from cmqinfra.model import SourceLocation

    loc = None
    if data.get("file") is not None and data.get("line") is not None:
        loc = SourceLocation(str(data["file"]), int(data["line"]), int(data.get("column") or 1))
    return Diagnostic(
        str(data.get("message") or data.get("summary") or ""),
        loc,
        Severity(data.get("severity", "error")),
        data.get("hint") or None,
        policy=str(data["policy"]) if data.get("policy") else None,
        waived=bool(data.get("waived", False)),
    )


def diagnostics_to_json(diagnostics: Sequence[Diagnostic], **extra: Any) -> dict[str, Any]:
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    return {
        "format_version": FORMAT_VERSION,
        **extra,
        "valid": errors == 0,
        "error_count": errors,
        "warning_count": len(diagnostics) - errors,
        "diagnostics": [diagnostic_to_json(d) for d in diagnostics],
    }


def diagnostics_markdown(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """The ``file:line:col`` list, one bullet per problem."""
    return [f"- {escape.code(d.render())}" for d in diagnostics]


def failure_markdown(title: str, message: str, diagnostics: Sequence[Diagnostic] = ()) -> str:
    lines = [f"### :x: {title}", "", f"**{escape.text(message)}**", ""]
    if diagnostics:
        lines.extend(diagnostics_markdown(diagnostics))
        lines.append("")
    return "\n".join(lines) + "\n"


def render_failure(
    message: str,
    diagnostics: Sequence[Diagnostic],
    fmt: str,
    *,
    stack: str | None = None,
    command: str = "plan",
) -> str:
    """A run that stopped before it had a plan (manifest errors, a refusal, an API error)."""
    if fmt == "json":
        problems = list(diagnostics) or [Diagnostic(message)]
        doc = diagnostics_to_json(problems, stack=stack, error=message)
        return json.dumps(doc, indent=2) + "\n"
    where = f" for stack {escape.code(stack)}" if stack else ""
    return failure_markdown(f"cmqinfra {command}{where} failed", message, diagnostics)


def distinct_lines(groups: Sequence[Sequence[Diagnostic]]) -> list[str]:
    """Every diagnostic of several units, rendered, each line once and in order: a base
    manifest's problem is the same in every environment that uses it."""
    seen: dict[str, None] = {}
    for diagnostics in groups:
        for d in diagnostics:
            seen.setdefault(d.render(), None)
    return list(seen)
