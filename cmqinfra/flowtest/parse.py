"""Reading a ``*.cmqtest.yaml`` file: the manifest reader's located YAML, the test-file JSON
Schema, then frozen values. Bad input never raises: every problem is one located Diagnostic."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.flowtest.spec import (
    ANY_ERROR,
    Count,
    Delete,
    Expect,
    FlowTest,
    Named,
    Publish,
    PushExpect,
    Receive,
    Rewind,
    Send,
    SetQueue,
    Step,
    TestFile,
    Wait,
)
from cmqinfra.manifest.schema import diagnose_error, show
from cmqinfra.manifest.source import DataPath, Document, read_document
from cmqinfra.project.paths import inside, outside_message, root_of

if TYPE_CHECKING:  # imported only to word an invalid file (see check_schema)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_RESOURCE = "schemas/cmqtest.schema.json"
# The order of the schema's oneOf.
STEP_KINDS = ("send", "publish", "receive", "wait", "expect", "delete", "rewind", "setQueue", "count")
_PARAMETER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@lru_cache(maxsize=1)
def cmqtest_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((resources.files("cmqinfra") / SCHEMA_RESOURCE).read_bytes())
    return schema


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(cmqtest_schema())


def load_test_file(path: str) -> tuple[TestFile | None, list[Diagnostic]]:
    doc, problems = read_document(path)
    if doc is None:
        return None, problems
    diags = problems + check_schema(doc)
    if not diags:
        diags = unknown_parameters(doc)
    if diags:
        return None, diags
    # The manifests a test names lie inside its checkout: docs/security.md, G2.
    base, root = Path(path).parent, root_of(path)
    for index, manifest in enumerate(doc.data.get("manifests", ())):
        if root is not None and not inside(root, base / manifest):
            diags.append(Diagnostic(outside_message("manifest", manifest), doc.at(("manifests", index))))
    if diags:
        return None, diags
    return _build(doc, path), []


def check_schema(doc: Document) -> list[Diagnostic]:
    from cmqinfra.manifest.compiled.cmqtest import accept

    if accept(doc.data):  # compiled ahead of time; jsonschema only words what is wrong
        return []
    out: list[Diagnostic] = []
    for error in _validator().iter_errors(doc.data):
        out.extend(_diagnose(doc, error))
    return sorted(out, key=lambda d: (d.location.line, d.location.column) if d.location else (0, 0))


def _diagnose(doc: Document, error: ValidationError) -> list[Diagnostic]:
    path: DataPath = tuple(error.absolute_path)
    if error.validator == "oneOf" and path and path[-1] == "wait":
        return [
            Diagnostic(
                "wait must be seconds (a number) or a duration like 90s, 5m, 2h, 1d "
                f"(got {show(error.instance)})",
                doc.at(path),
            )
        ]
    if error.validator != "oneOf" or not isinstance(error.instance, dict):
        return diagnose_error(doc, error)
    # A step: "not valid under any of the given schemas" helps no one. Judge it by its kind.
    kinds = [k for k in STEP_KINDS if k in error.instance]
    if len(kinds) != 1:
        others = [k for k in error.instance if k not in STEP_KINDS]
        what = f"unknown step {others[0]!r}" if others and not kinds else "a step has one kind"
        return [Diagnostic(f"{what}: write exactly one of {', '.join(STEP_KINDS)}", doc.key_at(path))]
    branch = STEP_KINDS.index(kinds[0])
    out: list[Diagnostic] = []
    for sub in error.context or ():
        if sub.relative_schema_path and sub.relative_schema_path[0] == branch:
            out.extend(_diagnose(doc, sub))
    return out or [Diagnostic(f"invalid {kinds[0]} step", doc.at(path))]


def duration_seconds(value: float | int | str) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return float(value[:-1]) * _UNITS[value[-1]]


def _named(doc: Document, path: DataPath, value: str) -> Named:
    return Named(value, doc.at(path))


def _names(doc: Document, path: DataPath, values: list[str] | None) -> tuple[Named, ...]:
    return tuple(_named(doc, path + (i,), v) for i, v in enumerate(values or ()))


def _fails(body: dict[str, Any]) -> str | None:
    value = body.get("fails")
    if value is None or value is False:
        return None
    return ANY_ERROR if value is True else str(value)


def _step(doc: Document, path: DataPath, data: dict[str, Any]) -> Step:
    kind = next(k for k in STEP_KINDS if k in data)
    body = data[kind]
    inner = path + (kind,)
    at = doc.key_at(inner)
    if kind == "send":
        return Send(
            _named(doc, inner + ("queue",), body["queue"]),
            body["message"],
            body.get("delaySeconds", 0),
            at,
            _fails(body),
        )
    if kind == "publish":
        return Publish(
            _named(doc, inner + ("topic",), body["topic"]),
            body["message"],
            body.get("routingKey", ""),
            tuple(body.get("tags", ())),
            at,
            _fails(body),
        )
    if kind == "receive":
        listed = body.get("expect")
        return Receive(
            _named(doc, inner + ("queue",), body["queue"]),
            body.get("times", 1),
            body.get("delete", False),
            at,
            keep=body.get("keep", False),
            expect_messages=None if listed is None else tuple(listed),
            expect_count=body.get("count"),
            fails=_fails(body),
        )
    if kind == "wait":
        return Wait(duration_seconds(body), at)
    if kind == "delete":
        return Delete(_named(doc, inner + ("queue",), body["queue"]), body["message"], at, _fails(body))
    if kind == "rewind":
        ago = body.get("secondsAgo")
        return Rewind(
            _named(doc, inner + ("queue",), body["queue"]),
            None if ago is None else float(ago),
            at,
            _fails(body),
        )
    if kind == "setQueue":
        attributes = tuple(
            (key[0].upper() + key[1:], value) for key, value in body.items() if key not in ("queue", "fails")
        )
        return SetQueue(_named(doc, inner + ("queue",), body["queue"]), attributes, at, _fails(body))
    if kind == "count":
        return Count(
            _named(doc, inner + ("queue",), body["queue"]),
            at,
            visible=body.get("visible"),
            in_flight=body.get("inFlight"),
            delayed=body.get("delayed"),
            total=body.get("total"),
        )
    dead = body.get("deadLettered")
    return Expect(
        message=body["message"],
        at=at,
        message_at=doc.at(inner + ("message",)),
        in_queues=_names(doc, inner + ("in",), body.get("in")),
        not_in=_names(doc, inner + ("notIn",), body.get("notIn")),
        dead_lettered=_named(doc, inner + ("deadLettered",), dead) if dead is not None else None,
        pushed_to=_names(doc, inner + ("pushedTo",), body.get("pushedTo")),
        not_pushed_to=_names(doc, inner + ("notPushedTo",), body.get("notPushedTo")),
        state=body.get("state"),
        dequeue_count=body.get("dequeueCount"),
        copies=body.get("copies"),
        pushes=tuple(
            PushExpect(
                _named(doc, inner + ("pushes", index, "endpoint"), item["endpoint"]),
                attempts=item.get("attempts"),
                delivered=item.get("delivered"),
                format=item.get("format"),
            )
            for index, item in enumerate(body.get("pushes", ()))
        ),
    )


def _substitute(value: Any, case: dict[str, Any]) -> Any:
    """``${name}`` replaced by the case's value in every string of the steps (strings only: the
    schema has already checked every other value)."""
    if isinstance(value, str):
        return _PARAMETER.sub(lambda m: str(case.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [_substitute(item, case) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, case) for key, item in value.items()}
    return value


def _case_label(case: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in case.items())


def _tests(doc: Document, index: int, test: dict[str, Any]) -> list[FlowTest]:
    """One test, or one per case of a parameterised test (its name suffixed with the case)."""
    cases = test.get("cases") or [None]
    out = []
    for case in cases:
        steps = test["steps"] if case is None else _substitute(test["steps"], case)
        name = test["name"] if case is None else f"{_substitute(test['name'], case)} [{_case_label(case)}]"
        out.append(
            FlowTest(
                name=name,
                steps=tuple(_step(doc, ("tests", index, "steps", j), s) for j, s in enumerate(steps)),
                at=doc.at(("tests", index)),
            )
        )
    return out


def unknown_parameters(doc: Document) -> list[Diagnostic]:
    """``${name}`` in a test that no case of it defines (or in a test without cases)."""
    out: list[Diagnostic] = []
    for index, test in enumerate(doc.data.get("tests", ())):
        if not isinstance(test, dict):
            continue
        defined = set().union(*(set(c) for c in test.get("cases") or [{}] if isinstance(c, dict)))
        for name in sorted(set(_PARAMETER.findall(json.dumps(test.get("steps", []))))
                           | set(_PARAMETER.findall(str(test.get("name", ""))))):
            missing = [c for c in test.get("cases") or [{}] if isinstance(c, dict) and name not in c]
            if name not in defined or missing:
                out.append(Diagnostic(
                    f"${{{name}}} is not given by every case of this test", doc.key_at(("tests", index)),
                    hint="add it to each entry of cases:"))
    return out


def _build(doc: Document, path: str) -> TestFile:
    data = doc.data
    tests = tuple(t for i, test in enumerate(data["tests"]) for t in _tests(doc, i, test))
    base = Path(path).parent
    manifests = tuple(str(base / m) for m in data.get("manifests", ()))
    endpoints = tuple((url, tuple(statuses)) for url, statuses in data.get("httpEndpoints", {}).items())
    return TestFile(path=path, manifests=manifests, tests=tests, http_endpoints=endpoints)
