"""The pre-commit hook's own entry, given the committed files: each stack they belong to is
validated whole; files of no stack are left alone."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml
from helpers import cmq, write

HOOKS = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"


def hook(root: Path, *files: str) -> tuple[int, str, str]:
    entry = next(h for h in yaml.safe_load(HOOKS.read_text()) if h["id"] == "cmqinfra-validate")["entry"]
    argv = shlex.split(entry)
    assert argv[0] == "cmqinfra"
    return cmq(root, *argv[1:], *files)


def test_files_are_grouped_into_their_stacks(tmp_path: Path) -> None:
    write(tmp_path, {
        "infra/payments/a.yaml": "stack: payments\ndefaults:\n  queue: {visibilityTimeout: 45}\n"
                                 "queues:\n  a: {}\n",
        "infra/payments/b.yaml": "stack: payments\nqueues:\n  b: {tags: {note: \"$${as written}\"}}\n",
        "infra/legacy/l.yaml": "stack: legacy\nqueues:\n  \"bad name\": {}\n",
        ".github/workflows/ci.yml": "on: push\n",
    })
    # Only b.yaml of payments changed: the stack is validated whole (a.yaml too), not as a stack of one file.
    code, out, err = hook(tmp_path, "infra/payments/b.yaml", ".github/workflows/ci.yml")
    assert (code, out, err) == (0, "ok: infra/payments: 2 queues, 0 topics, 0 subscriptions\n", "")
    code, out, err = hook(tmp_path, "infra/payments/b.yaml", "infra/legacy/l.yaml")
    assert code == 1
    assert out == "ok: infra/payments: 2 queues, 0 topics, 0 subscriptions\n"
    assert 'infra/legacy/l.yaml:3:3: error: invalid queue name "bad name"' in err
    assert "failed: infra/legacy: 1 error" in err


def test_a_project_file_change_validates_every_environment(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": "environments:\n  dev: {namePrefix: dev-}\n  prod: {}\n"
                         "stacks:\n  shop: {path: shop}\n",
        "shop/s.yaml": "stack: shop\nqueues:\n  orders: {}\n",
        "notes.yaml": "not: a stack\n",
    })
    code, out, err = hook(tmp_path, "cmqinfra.yaml")
    assert code == 0, err
    assert out.splitlines() == ["ok: shop[dev]: 1 queue, 0 topics, 0 subscriptions",
                                "ok: shop[prod]: 1 queue, 0 topics, 0 subscriptions"]
    assert hook(tmp_path, "notes.yaml") == (0, "", "")
