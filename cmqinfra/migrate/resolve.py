"""Giving Terraform expressions a value, where one can be known without running Terraform.

Resolved: literals, string templates whose interpolations are plain references, and the
references ``var.NAME`` (tfvars, -var, TF_VAR_ or the default), ``local.NAME`` and
``<tcmq resource>.NAME.ATTR`` (that resource's own translated value). Anything else (function
calls, operators, conditionals, ``count.index``, data sources, module outputs) is unresolved,
with the reason; the translator then looks for the value in the state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_REFERENCE = re.compile(r"^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}


class Unresolved(Exception):
    """The expression has no value known here; the message says why."""


ResourceLookup = Callable[[str, str, str], Any]  # (type, name, attribute) -> value


@dataclass
class Resolver:
    variables: Mapping[str, Any]  # name -> raw (as python-hcl2 serialises) or a plain value
    locals: Mapping[str, Any]
    resource: ResourceLookup
    _busy: set[str] = field(default_factory=set)

    def value(self, raw: Any) -> Any:
        if isinstance(raw, bool | int | float) or raw is None:
            return raw
        if isinstance(raw, list):
            return [self.value(item) for item in raw]
        if isinstance(raw, dict):
            return {
                _unquote_key(str(k)): self.value(v) for k, v in raw.items() if not str(k).startswith("__")
            }
        text = str(raw)
        if text.startswith('"<<'):
            return self._template(_heredoc_body(text[1:-1]))
        if len(text) >= 2 and text[0] == text[-1] == '"':
            return self._template(text[1:-1])
        if text.startswith("${") and text.endswith("}"):
            return self._expression(text[2:-1])
        raise Unresolved(f"expression `{_short(text)}` is not understood")

    def _template(self, body: str) -> Any:
        pieces: list[tuple[bool, Any]] = []  # (is an interpolated value, text or value)
        literal: list[str] = []
        i = 0
        while i < len(body):
            if body.startswith("$${", i) or body.startswith("%%{", i):
                literal.append(body[i + 1 : i + 3])
                i += 3
            elif body.startswith("%{", i):
                raise Unresolved(f"template directive `{_short(body[i:])}` is not evaluated")
            elif body.startswith("${", i):
                end = _closing(body, i + 2)
                pieces.append((False, "".join(literal)))
                literal = []
                pieces.append((True, self._expression(body[i + 2 : end])))
                i = end + 1
            elif body[i] == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                if nxt == "u" and i + 5 < len(body):
                    literal.append(chr(int(body[i + 2 : i + 6], 16)))
                    i += 6
                else:
                    literal.append(_ESCAPES.get(nxt, nxt))
                    i += 2
            else:
                literal.append(body[i])
                i += 1
        pieces.append((False, "".join(literal)))
        kept = [p for p in pieces if p[0] or p[1]]
        if len(kept) == 1 and kept[0][0]:
            return kept[0][1]  # "${var.n}" keeps the variable's type, as Terraform does
        return "".join(_as_text(v) if interpolated else v for interpolated, v in pieces)

    def _expression(self, text: str) -> Any:
        text = text.strip()
        if _NUMBER.match(text):
            return float(text) if "." in text else int(text)
        if text in ("true", "false"):
            return text == "true"
        if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in text[1:-1]:
            return self._template(text[1:-1])
        if not _REFERENCE.match(text):
            raise Unresolved(f"expression `{_short(text)}` is not a plain reference")
        head, *rest = text.split(".")
        if head == "var":
            return self._named("var", rest, self.variables)
        if head == "local":
            return self._named("local", rest, self.locals)
        if head in ("count", "each"):
            raise Unresolved(f"`{text}` differs per instance (count / for_each)")
        if head == "data":
            raise Unresolved(f"`{text}` is a data source, which is not read")
        if head == "module":
            raise Unresolved(f"`{text}` is a module output, which is not read")
        if len(rest) == 2:
            return self.resource(head, rest[0], rest[1])
        raise Unresolved(f"`{text}` is not a reference that can be followed here")

    def _named(self, kind: str, rest: list[str], table: Mapping[str, Any]) -> Any:
        name = rest[0]
        key = f"{kind}.{name}"
        if name not in table:
            raise Unresolved(
                f"`{key}` has no value" + (" (no default, tfvars or -var)" if kind == "var" else "")
            )
        if key in self._busy:
            raise Unresolved(f"`{key}` refers to itself")
        self._busy.add(key)
        try:
            value = self.value(table[name])
        finally:
            self._busy.discard(key)
        for attribute in rest[1:]:
            if not isinstance(value, dict) or attribute not in value:
                raise Unresolved(f"`{key}.{'.'.join(rest[1:])}` has no value")
            value = value[attribute]
        return value


def _closing(body: str, start: int) -> int:
    depth, i, quoted = 1, start, False
    while i < len(body):
        ch = body[i]
        if ch == '"' and body[i - 1] != "\\":
            quoted = not quoted
        elif not quoted and ch == "{":
            depth += 1
        elif not quoted and ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise Unresolved("unterminated interpolation")


def _heredoc_body(text: str) -> str:
    lines = text.split("\n")
    body = lines[1:-1]
    if lines[0].startswith("<<-"):
        indent = min((len(line) - len(line.lstrip()) for line in body if line.strip()), default=0)
        body = [line[indent:] for line in body]
    return "\n".join(body) + "\n"


def _unquote_key(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] == '"' else key


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict) or value is None:
        raise Unresolved("a list, map or null cannot be interpolated into a string")
    return str(value)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plain_variable(text: str) -> Any:
    """A -var / TF_VAR_ value: a number or bool as such, anything else a string (Terraform reads
    them as HCL for complex types; those are out of scope here)."""
    if _NUMBER.match(text):
        return float(text) if "." in text else int(text)
    if text in ("true", "false"):
        return text == "true"
    return text


def literal_value(value: Any) -> Any:
    """Wrap a plain Python value so that ``Resolver.value`` returns it unchanged."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$${") + '"'
    return value
