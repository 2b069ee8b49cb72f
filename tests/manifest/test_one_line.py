"""A diagnostic is one line even when the name it is about holds a line break."""

from __future__ import annotations

from pathlib import Path

from cmqinfra.manifest import load_stack


def test_a_key_with_a_line_break_is_quoted_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        'stack: s\ntopics:\n  t:\n    subscriptions:\n      "a\\nb": "not a mapping"\n', encoding="utf-8"
    )
    result = load_stack([path])
    messages = [d.render() for d in result.diagnostics]
    assert result.stack is None and messages
    assert all("\n" not in m for m in messages), messages
    assert any('"a\\nb" must be a mapping' in m for m in messages), messages
