"""The pull-request comment layout, independent of how the plan was computed."""

from __future__ import annotations

from cmqinfra.render.markdown import GITHUB_COMMENT_LIMIT, Comment, Destructive, compose, diff_lines

DIFF = """\
  + queue/new
      visibilityTimeout: 30
  ~ queue/changed
      ~ visibilityTimeout: 30 -> 60
-/+ topic/replaced
      ~ filterType: tag -> routingKey # forces replacement
  - queue/gone

Plan: 2 to add, 1 to change, 2 to destroy."""


def comment(diff: str = DIFF, destructive: tuple[Destructive, ...] | None = None) -> Comment:
    if destructive is None:
        destructive = (
            Destructive("topic/replaced", "replace", "filterType forces replacement"),
            Destructive("queue/gone", "delete"),
        )
    return Comment("shop", "ap-guangzhou", "Plan: 2 to add, 1 to change, 2 to destroy.", destructive, diff)


def test_markers_move_to_column_zero_for_diff_colouring() -> None:
    assert diff_lines(DIFF)[:5] == [
        "+   queue/new",
        "      visibilityTimeout: 30",
        "~   queue/changed",
        "~       visibilityTimeout: 30 -> 60",
        "-/+ topic/replaced",
    ]


def test_full_comment_layout() -> None:
    text = compose(comment())
    lines = text.splitlines()
    assert lines[0] == "### cmqinfra plan for stack `shop` in `ap-guangzhou`"
    assert "**Plan: 2 to add, 1 to change, 2 to destroy.**" in lines
    caution = lines.index("> [!CAUTION]")
    assert "deletes 1" in lines[caution + 1] and "replaces 1" in lines[caution + 1]
    assert lines[caution + 2] == "> - `topic/replaced` will be **replaced** (filterType forces replacement)"
    assert lines[caution + 3] == "> - `queue/gone` will be **deleted**"
    assert "<details><summary>Show the full plan</summary>" in lines
    start = lines.index("```diff")
    end = lines.index("```", start + 1)
    assert lines[start + 1:end] == diff_lines(DIFF)
    assert lines[end + 2] == "</details>"
    assert "[!NOTE]" not in text


def test_no_caution_without_deletes_or_replacements() -> None:
    text = compose(comment(destructive=()))
    assert "[!CAUTION]" not in text


def test_a_backtick_run_in_the_plan_cannot_close_the_fence() -> None:
    text = compose(comment(diff='  + queue/x\n      note: "```"'))
    assert "````diff" in text


def test_long_plan_is_cut_under_the_limit_keeping_head_and_warnings() -> None:
    body = "\n".join(f"  + queue/q{i:05d}\n      visibilityTimeout: 30" for i in range(4000))
    text = compose(comment(diff=body))
    assert len(body) > GITHUB_COMMENT_LIMIT
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert text.startswith("### cmqinfra plan for stack `shop`")
    assert "> - `queue/gone` will be **deleted**" in text
    assert "> [!NOTE]" in text
    shown = sum(1 for line in text.splitlines() if line.startswith("+   queue/q"))
    assert 0 < shown < 4000
    assert f"of {8000:,} lines are shown" in text
    assert "more lines)" in text
    assert text.rstrip().endswith("has the rest.")
    # the cut keeps whole lines, and the block is still closed
    assert "</details>" in text


def test_small_limit_still_fits() -> None:
    text = compose(comment(), limit=600)
    assert len(text) <= 600
    assert "[!CAUTION]" in text and "[!NOTE]" in text


def test_thousands_of_deletions_are_counted_not_listed_past_half_the_limit() -> None:
    many = tuple(Destructive(f"queue/q{i:05d}", "delete") for i in range(5000))
    text = compose(comment(destructive=many))
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert "> - `queue/q00000` will be **deleted**" in text
    assert "> - ... and " in text.split("</details>")[0]
