"""`defaults:` apply to every file of a stack: splitting a stack into files resets nothing."""

from __future__ import annotations

from pathlib import Path

from cmqinfra.manifest import load_stack


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_defaults_of_one_file_apply_to_the_others(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "a.yaml": "stack: s\ndefaults:\n  queue: {visibilityTimeout: 45, tags: {team: a}}\n"
                  "queues:\n  one: {}\n",
        "b.yaml": "stack: s\nqueues:\n  two: {tags: {env: prod}}\n",
    })
    result = load_stack([root])
    assert result.stack is not None, [d.render() for d in result.diagnostics]
    by_name = {q.name: q for q in result.stack.queues}
    assert by_name["two"].visibility_timeout == 45
    assert dict(by_name["two"].tags) == {"team": "a", "env": "prod"}


def test_tag_defaults_merge_across_files_key_by_key(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "a.yaml": "stack: s\ndefaults:\n  queue: {tags: {team: a}}\n",
        "b.yaml": "stack: s\ndefaults:\n  queue: {tags: {cost: low}}\nqueues:\n  q: {}\n",
    })
    result = load_stack([root])
    assert result.stack is not None
    assert dict(result.stack.queues[0].tags) == {"team": "a", "cost": "low"}


def test_one_default_given_two_values_names_both_places(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "a.yaml": "stack: s\ndefaults:\n  queue: {visibilityTimeout: 45}\n",
        "b.yaml": "stack: s\ndefaults:\n  queue:\n    visibilityTimeout: 60\nqueues:\n  q: {}\n",
    })
    result = load_stack([root])
    assert result.stack is None
    [d] = result.diagnostics
    assert d.render().startswith(
        f"{root}/b.yaml:4:24: error: defaults.queue.visibilityTimeout conflicts with the value given in "
        f"{root}/a.yaml:3")


def test_a_problem_with_a_default_is_located_in_the_file_that_wrote_it(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "a.yaml": "stack: s\ndefaults:\n  queue:\n    retentionSizeInMB: 10240\n",
        "b.yaml": "stack: s\nqueues:\n  q: {}\n",
    })
    result = load_stack([root])
    assert result.stack is None
    [d] = result.diagnostics
    assert d.render() == f"{root}/a.yaml:4:5: error: retentionSizeInMB needs rewind on (rewindSeconds > 0)"
