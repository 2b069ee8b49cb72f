"""Giving Terraform expressions a value, where one can be known without running Terraform.

Resolved: literals, string templates, lists and maps; the references ``var.NAME`` (-var,
``*.auto.tfvars``, ``terraform.tfvars``, TF_VAR_ or the default), ``local.NAME``,
``count.index`` / ``each.key`` / ``each.value`` of the instance being translated and
``<tcmq resource>.NAME.ATTR`` (that resource's own translated value), with ``.attr`` and
``["key"]`` into maps and lists; arithmetic (``+ - * / %``), comparisons, ``&& || !`` and the
conditional ``a ? b : c``. Function calls, ``for`` expressions, splats, data sources and module
outputs are unresolved, with the reason; the translator then looks for the value in the state.

Evaluation is bounded: each variable and local is evaluated once (memoised), and a value that
grows past ``MAX_WEIGHT`` characters and items, or a number past 2**63, is refused, so locals
that double at each line end at once with a clear reason.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cmqinfra.migrate.bounds import MAX_WEIGHT
from cmqinfra.migrate.operators import Unresolved, apply_operator, as_bool, bounded, walk

__all__ = ["Resolver", "Unknown", "Unresolved", "literal_value", "plain_variable", "weight"]

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z_][\w-]*)"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[-+*/%<>!?:.\[\](),{}=])|(?P<quote>\"))"
)
_MAX_CHAIN = 400  # local.a -> local.b -> ... followed at most this deep
_FRAMES = 20_000


@dataclass(frozen=True)
class Unknown:
    """A variable whose value cannot be known here (a module input that did not resolve)."""

    reason: str


ResourceLookup = Callable[[str, str, str], Any]  # (type, name, attribute) -> value
Scope = Mapping[str, Any]  # "count.index" / "each.key" / "each.value" -> value


def weight(value: Any) -> int:
    """How big a value is: characters of its strings plus its items (shared parts counted once
    per use; evaluated values are built from memoised parts, see ``Resolver``)."""
    if isinstance(value, str):
        return len(value) + 1
    if isinstance(value, list):
        return 1 + sum(weight(v) for v in value)
    if isinstance(value, dict):
        return 1 + sum(len(k) + weight(v) for k, v in value.items())
    return 1


@dataclass
class Resolver:
    variables: Mapping[str, Any]  # name -> raw (as python-hcl2 serialises) or a plain value
    locals: Mapping[str, Any]
    resource: ResourceLookup
    _busy: set[str] = field(default_factory=set)
    _memo: dict[str, Any] = field(default_factory=dict)  # "var.x" -> its value, or its Unresolved
    _weights: dict[int, tuple[Any, int]] = field(default_factory=dict)  # id -> (value kept alive, weight)

    def value(self, raw: Any, scope: Scope | None = None) -> Any:
        # A chain of locals is evaluated by recursion, a dozen frames a link; pure Python frames
        # do not use the C stack on 3.11+, so the limit is raised for the chain's bound instead.
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, _FRAMES))
        try:
            return self._value(raw, scope or {})
        except RecursionError:
            raise Unresolved("expression nested too deeply") from None
        finally:
            sys.setrecursionlimit(limit)

    # ------------------------------------------------------------ sizes

    def _weigh(self, value: Any) -> int:
        known = self._weights.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        if isinstance(value, list):
            total = 1 + sum(self._weigh(v) for v in value)
        elif isinstance(value, dict):
            total = 1 + sum(len(k) + self._weigh(v) for k, v in value.items())
        else:
            total = weight(value)
        if total > MAX_WEIGHT:
            raise Unresolved(f"the value grows past {MAX_WEIGHT:,} characters and items; not evaluated")
        if isinstance(value, list | dict):
            self._weights[id(value)] = (value, total)
        return total

    # ------------------------------------------------------------ raw values

    def _value(self, raw: Any, scope: Scope) -> Any:
        if isinstance(raw, Unknown):
            raise Unresolved(raw.reason)
        if isinstance(raw, bool | int | float) or raw is None:
            return raw
        if isinstance(raw, list):
            out = [self._value(item, scope) for item in raw]
            self._weigh(out)
            return out
        if isinstance(raw, dict):
            result = {
                _unquote_key(str(k)): self._value(v, scope)
                for k, v in raw.items()
                if not str(k).startswith("__")
            }
            self._weigh(result)
            return result
        text = str(raw)
        if text.startswith('"<<'):
            return self._template(_heredoc_body(text[1:-1]), scope)
        if len(text) >= 2 and text[0] == text[-1] == '"':
            return self._template(text[1:-1], scope)
        if text.startswith("${") and text.endswith("}"):
            return self._expression(text[2:-1], scope)
        raise Unresolved(f"expression `{_short(text)}` is not understood")

    def _template(self, body: str, scope: Scope) -> Any:
        pieces: list[tuple[bool, Any]] = []  # (is an interpolated value, text or value)
        literal: list[str] = []
        size = 0
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
                value = self._expression(body[i + 2 : end], scope)
                size += len(value) if isinstance(value, str) else 1
                if size > MAX_WEIGHT:
                    raise Unresolved(f"the string grows past {MAX_WEIGHT:,} characters; not evaluated")
                pieces.append((True, value))
                i = end + 1
            elif body[i] == "\\" and i + 1 < len(body):
                nxt = body[i + 1]
                if nxt == "u" and i + 5 < len(body):
                    try:
                        literal.append(chr(int(body[i + 2 : i + 6], 16)))
                    except ValueError:
                        raise Unresolved(f"bad escape `{body[i : i + 6]}`") from None
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

    def _expression(self, text: str, scope: Scope) -> Any:
        parser = _Parser(self, text, scope)
        result = parser.conditional()
        parser.expect_end()
        return result

    # ------------------------------------------------------------ references

    def reference(self, head: str, path: list[str | int], text: str, scope: Scope) -> Any:
        """``head.path...``: a variable, local, instance key or resource attribute."""
        if head in ("var", "local"):
            if not path or not isinstance(path[0], str):
                raise Unresolved(f"`{text}` is not a reference that can be followed here")
            value = self._named(head, path[0], self.variables if head == "var" else self.locals)
            return walk(value, path[1:], text)
        if head in ("count", "each"):
            key = f"{head}.{path[0]}" if path and isinstance(path[0], str) else head
            if key not in scope:
                raise Unresolved(f"`{key}` differs per instance (count / for_each)")
            return walk(scope[key], path[1:], text)
        if head == "data":
            raise Unresolved(f"`{text}` is a data source, which is not read")
        if head == "module":
            raise Unresolved(f"`{text}` is a module output, which is not read")
        if head == "path" or head == "terraform":
            raise Unresolved(f"`{text}` is not evaluated")
        if len(path) >= 2 and isinstance(path[0], str) and isinstance(path[1], str):
            return walk(self.resource(head, path[0], path[1]), path[2:], text)
        if len(path) >= 1 and isinstance(path[0], str) and len(path) >= 2:
            raise Unresolved(f"`{text}`: refer to one instance's attribute")
        raise Unresolved(f"`{text}` is not a reference that can be followed here")

    def _named(self, kind: str, name: str, table: Mapping[str, Any]) -> Any:
        key = f"{kind}.{name}"
        if key in self._memo:
            known = self._memo[key]
            if isinstance(known, Unresolved):
                raise Unresolved(str(known))
            return known
        if name not in table:
            raise Unresolved(
                f"`{key}` has no value" + (" (no default, tfvars or -var)" if kind == "var" else "")
            )
        if key in self._busy:
            raise Unresolved(f"`{key}` refers to itself")
        if len(self._busy) >= _MAX_CHAIN:
            raise Unresolved(f"`{key}`: references chained deeper than {_MAX_CHAIN} variables and locals")
        self._busy.add(key)
        try:
            value = self._value(table[name], {})
        except Unresolved as exc:
            self._memo[key] = exc  # a failure is remembered too: each use must stay cheap
            raise
        finally:
            self._busy.discard(key)
        self._memo[key] = value
        return value


class _Parser:
    """Recursive descent over one ``${...}`` expression, evaluating as it goes."""

    def __init__(self, resolver: Resolver, text: str, scope: Scope) -> None:
        self.r, self.text, self.scope = resolver, text, scope
        self.pos = 0
        self.tokens: list[tuple[str, Any]] = self._tokenize()
        self.i = 0

    def _tokenize(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        text, pos = self.text, 0
        while pos < len(text):
            if text[pos:].strip() == "":
                break
            match = _TOKEN.match(text, pos)
            if match is None:
                raise Unresolved(f"expression `{_short(text)}` is not understood")
            if match.group("quote"):
                end = _string_end(text, match.end())
                out.append(("string", text[match.end() : end]))
                pos = end + 1
                continue
            kind = match.lastgroup or "op"
            out.append((kind, match.group(kind)))
            pos = match.end()
        out.append(("end", None))
        return out

    # -------------------------------------------------------------- helpers

    def peek(self, value: str | None = None) -> bool:
        kind, text = self.tokens[self.i]
        return kind == "op" and text == value if value is not None else False

    def take(self) -> tuple[str, Any]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, op: str) -> None:
        kind, text = self.take()
        if kind != "op" or text != op:
            raise Unresolved(f"expression `{_short(self.text)}` is not understood")

    def expect_end(self) -> None:
        if self.tokens[self.i][0] != "end":
            raise Unresolved(f"expression `{_short(self.text)}` is not understood")

    # -------------------------------------------------------------- grammar

    def conditional(self) -> Any:
        condition = self.binary(0)
        if not self.peek("?"):
            return condition
        self.take()
        yes = self.conditional()
        self.expect(":")
        no = self.conditional()
        return yes if as_bool(condition) else no

    _LEVELS = (("||",), ("&&",), ("==", "!="), ("<", ">", "<=", ">="), ("+", "-"), ("*", "/", "%"))

    def binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            kind, op = self.tokens[self.i]
            if kind != "op" or op not in self._LEVELS[level]:
                return left
            self.take()
            right = self.binary(level + 1)
            left = apply_operator(op, left, right)

    def unary(self) -> Any:
        if self.peek("-"):
            self.take()
            return bounded(apply_operator("-", 0, self.unary()))
        if self.peek("!"):
            self.take()
            return not as_bool(self.unary())
        return self.postfix()

    def postfix(self) -> Any:
        kind, text = self.take()
        if kind == "number":
            value: Any = float(text) if any(c in text for c in ".eE") else int(text)
            return bounded(value)
        if kind == "string":
            return self.r._template(text, self.scope)
        if kind == "op" and text == "(":
            value = self.conditional()
            self.expect(")")
            return self.index_chain(value, text)
        if kind == "op" and text == "[":
            items: list[Any] = []
            while not self.peek("]"):
                if items:
                    self.expect(",")
                    if self.peek("]"):
                        break
                items.append(self.conditional())
            self.take()
            self.r._weigh(items)
            return items
        if kind == "op" and text == "{":
            raise Unresolved(f"map expression in `{_short(self.text)}` is not evaluated")
        if kind != "name":
            raise Unresolved(f"expression `{_short(self.text)}` is not understood")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek("("):
            raise Unresolved(f"function call `{text}(...)` is not evaluated")
        if text == "for":
            raise Unresolved("a for expression is not evaluated")
        head, path, shown = text, [], [text]
        while True:
            if self.peek("."):
                self.take()
                kind, name = self.take()
                if kind == "op" and name == "*":
                    raise Unresolved(f"splat `{'.'.join(shown)}.*` is not evaluated")
                if kind not in ("name", "number"):
                    raise Unresolved(f"expression `{_short(self.text)}` is not understood")
                path.append(int(name) if kind == "number" else name)
                shown.append(str(name))
            elif self.peek("["):
                self.take()
                if self.peek("*"):
                    raise Unresolved(f"splat `{'.'.join(shown)}[*]` is not evaluated")
                key = self.conditional()
                self.expect("]")
                path.append(key if isinstance(key, int | str) else str(key))
                shown[-1] += f"[{key!r}]"
            else:
                break
        return self.r.reference(head, path, ".".join(shown), self.scope)

    def index_chain(self, value: Any, text: str) -> Any:
        path: list[str | int] = []
        while self.peek("[") or self.peek("."):
            if self.take()[1] == "[":
                path.append(self.conditional())
                self.expect("]")
            else:
                path.append(self.take()[1])
        return walk(value, path, text)


def _string_end(text: str, start: int) -> int:
    """The index of the quote closing a string that starts at ``start`` (after its quote)."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith("${", i):
            i = _closing(text, i + 2) + 1
            continue
        if text[i] == '"':
            return i
        i += 1
    raise Unresolved("unterminated string")


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
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "$${").replace(
            "%{", "%%{"
        ) + '"'
    if isinstance(value, list):
        return [literal_value(v) for v in value]
    if isinstance(value, dict):
        return {k: literal_value(v) for k, v in value.items()}
    return value
