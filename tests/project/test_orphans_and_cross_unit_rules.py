"""The wording rules of what no unit owns any more, and the cross-unit checks of a project without
environments or with a stack that did not load: exact, pure, fast."""

from __future__ import annotations

from pathlib import Path

from helpers import cmq, write

from cmqinfra.project.orphans import Orphans, describe, find


def test_the_warning_names_five_resources_then_counts_the_rest_exactly() -> None:
    addresses = tuple(f"queue/q{i}" for i in range(7))
    text = describe(Orphans("Search-Staging", "endpoint http://127.0.0.1:9, region ap-guangzhou", addresses))
    assert text == (
        "7 resource(s) on endpoint http://127.0.0.1:9, region ap-guangzhou are tagged as owned by stack "
        "'Search-Staging', which no stack of this project is (queue/q0, queue/q1, queue/q2, queue/q3, "
        "queue/q4 and 2 more): an environment or stack removed, a namePrefix/nameSuffix changed, or a "
        "stack renamed without renamedFrom. They are not managed and are left as they are. To take them "
        "over, give the stack that should own them `renamedFrom: Search-Staging` (or `moved` entries with "
        "fromStack); to delete them, put the old unit back and run `cmqinfra destroy --stack NAME --env "
        "ENV` before removing it.")
    five = describe(Orphans("s", "Local", addresses[:5]))
    assert "(queue/q0, queue/q1, queue/q2, queue/q3, queue/q4):" in five and "more" not in five


def test_names_are_cut_to_their_bound_and_listed_by_owner() -> None:
    text = describe(Orphans("x" * 100, "w" * 300, ("queue/a",)))
    assert f"stack '{'x' * 80}'," in text and "x" * 81 not in text
    assert f"on {'w' * 200} are" in text
    found = find([("queue", "b", "old"), ("topic", "a", "old"), ("queue", "c", "kept")], {"kept"}, "here")
    assert found == [Orphans("old", "here", ("queue/b", "topic/a"))]


def test_a_move_in_a_project_without_environments_names_the_project(tmp_path: Path) -> None:
    write(tmp_path, {
        "infra/a/a.yaml": "stack: a\nqueues:\n  kept: {}\nmoved:\n  - {address: queue/q, toStack: nowhere}\n",
        "infra/b/b.yaml": "stack: b\nqueues:\n  b: {}\n",
    })
    code, _, err = cmq(tmp_path, "validate")
    assert code == 1
    assert ('error: moved queue/q to stack "nowhere": no stack of this project is named so, so the move '
            "could never complete (hint: the stacks of this project: a, b)") in err


def test_an_environment_with_a_stack_that_did_not_load_is_not_judged(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": """
            version: 1
            environments:
              dev: {endpoint: "http://127.0.0.1:9", nameSuffix: -dev}
              prod: {endpoint: "http://127.0.0.1:9"}
            stacks:
              a: {path: stacks/a}
              b: {path: stacks/b}
            """,
        "stacks/a/a.yaml": "stack: a\nqueues:\n  kept: {}\nmoved:\n  - {address: queue/q, toStack: b}\n",
        "stacks/b/b.yaml": "stack: b\nqueues:\n  q: {visibilityTimeout: \"${var.nope}\"}\n",
    })
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1
    # b did not load (its own error is reported); a's move to b is not called impossible for that
    assert "no stack of environment" not in err
    assert "ok: a[dev]" in out and "ok: a[prod]" in out
