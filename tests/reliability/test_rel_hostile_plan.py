"""Hostile input through ``plan --endpoint``: never a traceback, exit 1, bounded time, and a
diagnostic that says where (validate's own property-based tests live with the manifest)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .cli import assert_clean_exit
from .conftest import World

PLAN_SECONDS = 20.0


def _alias_bomb() -> str:
    lines = ["stack: bomb", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines += ["queues:", "  q:", "    tags: *a9"]
    return "\n".join(lines) + "\n"


# name -> (content writer, whether the diagnostic must carry a line number)
CASES: dict[str, tuple[Callable[[], bytes | str], bool]] = {
    "broken-yaml": (lambda: "stack: s\nqueues:\n  q: {visibilityTimeout: 1\n  r: {}\n", True),
    "wrong-type": (lambda: "stack: s\nqueues:\n  q:\n    visibilityTimeout: sixty\n", True),
    "huge-number": (lambda: "stack: s\nqueues:\n  q:\n    visibilityTimeout: " + "9" * 400 + "\n", True),
    "control-chars-in-name": (lambda: 'stack: s\nqueues:\n  "q\\a\\x1b[31m": {}\n', True),
    "unicode-name": (lambda: "stack: s\nqueues:\n  队列-ü: {}\n", True),
    "unknown-field": (lambda: "stack: s\nqueues:\n  q:\n    visibilityTimeuot: 30\n", True),
    "duplicate-key": (lambda: "stack: s\nqueues:\n  q: {}\n  q: {}\n", True),
    "deep-nesting": (lambda: "stack: s\nqueues:\n  q:\n    tags: " + "[" * 5000 + "]" * 5000 + "\n", False),
    "alias-bomb": (_alias_bomb, False),
    "binary": (lambda: bytes(range(256)) * 64, False),
    "empty": (lambda: "", False),
    "large-file": (
        lambda: (
            "stack: s\nqueues:\n"
            + "".join(f"  q{i}: {{}}  # {'x' * 60}\n" for i in range(3000))
            + "  0bad: {}\n"
        ),
        True,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_plan_on_hostile_manifest_fails_with_a_located_diagnostic(world: World, case: str) -> None:
    writer, needs_line = CASES[case]
    path: Path = world.tmp / f"{case}.yaml"
    content = writer()
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    run = world.plan(path)
    assert_clean_exit(run, allowed=(1,))
    assert run.seconds < PLAN_SECONDS, run.describe()
    assert len(run.output) < 200_000, "diagnostics should not echo the whole input"
    located = re.search(re.escape(path.name) + (r":\d+" if needs_line else r""), run.output)
    assert located, run.describe()
    assert "\x1b" not in run.output, "control characters from the input reach the terminal"
    # nothing was changed on the way out
    assert world.account().queues == ()
