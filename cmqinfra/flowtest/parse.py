"""Reading a ``*.cmqtest.yaml`` file: the manifest reader's located YAML, the test-file JSON
Schema, then frozen values. Bad input never raises: every problem is one located Diagnostic."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.flowtest.spec import (
    Expect,
    FlowTest,
    Named,
    Publish,
    Receive,
    Send,
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
STEP_KINDS = ("send", "publish", "receive", "wait", "expect")  # the order of the schema's oneOf
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


def _step(doc: Document, path: DataPath, data: dict[str, Any]) -> Step:
    kind = next(k for k in STEP_KINDS if k in data)
    body = data[kind]
    inner = path + (kind,)
    at = doc.key_at(inner)
    if kind == "send":
        return Send(
            _named(doc, inner + ("queue",), body["queue"]), body["message"], body.get("delaySeconds", 0), at
        )
    if kind == "publish":
        return Publish(
            _named(doc, inner + ("topic",), body["topic"]),
            body["message"],
            body.get("routingKey", ""),
            tuple(body.get("tags", ())),
            at,
        )
    if kind == "receive":
        return Receive(
            _named(doc, inner + ("queue",), body["queue"]),
            body.get("times", 1),
            body.get("delete", False),
            at,
        )
    if kind == "wait":
        return Wait(duration_seconds(body), at)
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
    )


def _build(doc: Document, path: str) -> TestFile:
    data = doc.data
    tests = tuple(
        FlowTest(
            name=test["name"],
            steps=tuple(_step(doc, ("tests", i, "steps", j), s) for j, s in enumerate(test["steps"])),
            at=doc.at(("tests", i)),
        )
        for i, test in enumerate(data["tests"])
    )
    base = Path(path).parent
    manifests = tuple(str(base / m) for m in data.get("manifests", ()))
    endpoints = tuple((url, tuple(statuses)) for url, statuses in data.get("httpEndpoints", {}).items())
    return TestFile(path=path, manifests=manifests, tests=tests, http_endpoints=endpoints)
