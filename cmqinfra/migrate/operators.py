"""Terraform's operators and conversions on evaluated values: arithmetic, comparison, logic,
indexing. Pure functions; ``cmqinfra.migrate.resolve`` parses, these compute, each result
bounded (a number past 2**63 is refused, so repeated squaring cannot grow without end)."""

from __future__ import annotations

import re
from typing import Any


class Unresolved(Exception):
    """The expression has no value known here; the message says why."""


BIG = 2**63
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def walk(value: Any, path: list[Any], text: str) -> Any:
    for key in path:
        if isinstance(value, dict) and str(key) in value:
            value = value[str(key)]
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            raise Unresolved(f"`{text}` has no value")
    return value


def bounded(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= BIG:
        raise Unresolved("a number grows past 2**63; not evaluated")
    return value


def to_number(value: Any) -> int | float:
    """Terraform's conversion of an operand to a number: numbers, and strings that spell one."""
    if isinstance(value, bool) or value is None:
        raise Unresolved(f"{shown(value)} is not a number")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value) if "." in value else int(value)
    raise Unresolved(f"{shown(value)} is not a number")


def as_bool(value: Any) -> bool:
    """Terraform's conversion to bool: true / false and the strings "true" / "false" only."""
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise Unresolved(f"{shown(value)} is not a bool")


def apply_operator(op: str, left: Any, right: Any) -> Any:
    if op in ("&&", "||"):
        a, b = as_bool(left), as_bool(right)
        return (a and b) if op == "&&" else (a or b)
    if op in ("==", "!="):
        equal = left == right and type(left) is type(right) or (
            isinstance(left, int | float) and isinstance(right, int | float)
            and not isinstance(left, bool) and not isinstance(right, bool) and left == right
        )
        return equal if op == "==" else not equal
    a, b = to_number(left), to_number(right)
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == ">=":
        return a >= b
    if op == "+":
        result: int | float = a + b
    elif op == "-":
        result = a - b
    elif op == "*":
        result = a * b
    elif b == 0:
        raise Unresolved("division by zero")
    elif op == "/":
        result = a / b
        if isinstance(result, float) and result.is_integer() and abs(result) < BIG:
            result = int(result)
    else:
        result = a % b
    return bounded(result)




def shown(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value[:27] + "..." if len(value) > 30 else value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, list | dict):
        return "a list or map"
    return str(value)
