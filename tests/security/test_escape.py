"""Hostile names cannot change what a reviewer sees: the comment rendered by GitHub's renderer
(cmarkgfm) shows every destroy, replace and refusal and no element a string brought, and the
terminal never receives a raw control sequence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmqinfra.diagnostics import Diagnostic, Severity
from cmqinfra.live import LiveQueue, LiveState, MessageCounts
from cmqinfra.model import Queue, SourceLocation, Stack
from cmqinfra.plan.compute import make_plan
from cmqinfra.project.units import StackUnit
from cmqinfra.render import escape
from cmqinfra.render.diagnostics import failure_markdown
from cmqinfra.render.markdown import render_markdown
from cmqinfra.render.streams import clean
from cmqinfra.render.text import render_units
from cmqinfra.run.connections import ResolvedTarget
from cmqinfra.run.report import render_project_markdown, text_unit
from cmqinfra.run.runner import UnitPlan
from tests.security.html_check import Page, assert_no_injection, render

# Each breaks a naive renderer in its own way (see docs/security.md, G3).
HOSTILE = [
    "a\n<!--",
    "zz\n-->",
    "a</code></summary><h3>✅ No changes</h3><details><summary>x",
    "b`</details><img src=x onerror=alert(1)>@octocat",
    "``` \n</details>\n\n# Approved",
    "c|d|<b>bold</b>",
    "zz\x1b[8A\x1b[J",
    "tab\there\rreturn",
    "\u202eevil",
    "  spaced `tick` ",
    "`",
    "<script>alert(1)</script>",
    "[link](javascript:alert(1))",
    "&lt;img src=x&gt;",
    "x\n\n| forged | row |\n| --- | --- |\n| a | b |",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_code_span_holds_any_string_as_one_piece_of_literal_text(text: str) -> None:
    page = Page(render(f"before {escape.code(text)} after"))
    assert page.tags == ["p", "code"]
    assert page.text.strip() == f"before {escape.terminal(text)} after".strip()


@pytest.mark.parametrize("text", HOSTILE)
def test_a_table_cell_holds_any_string(text: str) -> None:
    page = Page(render(f"| a | b |\n| --- | --- |\n| {escape.cell(text)} | end |\n"))
    assert page.tags.count("td") == 2
    assert escape.terminal(text) in page.text and page.text.rstrip().endswith("end")


@pytest.mark.parametrize("text", HOSTILE)
def test_text_inside_raw_html_is_only_text(text: str) -> None:
    page = Page(render(f"<details><summary><code>{escape.html(text)}</code></summary>\n\nbody\n</details>\n"))
    assert [t for t in page.tags if t != "p"] == ["details", "summary", "code"]
    assert escape.terminal(text) in page.text


@pytest.mark.parametrize("text", HOSTILE)
def test_terminal_text_has_no_control_character(text: str) -> None:
    shown = escape.terminal(text)
    assert not escape.has_control(shown)
    assert "\x1b" not in clean(text) and "\n" not in shown


def test_the_terminal_net_keeps_cmqinfras_colours_and_escapes_everything_else() -> None:
    import click

    own = click.style("+ create", fg="green", bold=True)
    assert clean(own + "\n") == own + "\n"
    assert clean("x\x1b[8mhidden\x1b[2Jy") == "x\\u001b[8mhidden\\u001b[2Jy"
    assert clean("a\tb\r") == "a\\u0009b\\u000d"
    # JSON output stays the same JSON: the escapes are JSON's own.
    document = json.dumps({"k": "\x7f\x85\u2028"}, ensure_ascii=False)
    assert json.loads(clean(document)) == {"k": "\x7f\x85\u2028"}


def _unit(name: str, queues: int, delete: str | None, env: str | None = None,
          region: str = "ap-guangzhou", tags: dict[str, str] | None = None) -> UnitPlan:
    desired = tuple(Queue(name=f"q{i}", tags=tags or {}) for i in range(queues))
    stack = Stack(name=name, region=region, queues=desired)
    live = LiveState()
    if delete is not None:
        live = LiveState(queues={delete: LiveQueue(queue=Queue(name=delete), queue_id="id", owner=name,
                                                   protected=False, messages=MessageCounts(active=0))})
    plan = make_plan(stack, live, region=region)
    unit = StackUnit(stack_name=name, environment=env, paths=(), region=region)
    return UnitPlan(unit, region, ResolvedTarget("endpoint", "http://127.0.0.1:1", None, None), plan=plan)


def _failed(name: str, message: str) -> UnitPlan:
    where = SourceLocation(f"stacks/{name}/q.yaml", 3, 5)
    unit = StackUnit(stack_name=name, environment="prod", paths=(), region=None)
    return UnitPlan(unit, None, None, error=message,
                    diagnostics=(Diagnostic(f"queue name {name!r} is bad", where, hint=message),))


def _visible(markdown: str) -> Page:
    page = Page(render(markdown))
    assert_no_injection(page)
    return page


def test_a_comment_over_hostile_stacks_shows_every_destroy_and_refusal() -> None:
    """Each hostile name is a stack; between them sits a stack that destroys a queue and a refused
    one. Rendered by GitHub's renderer, each destroy and each refusal is visible and nothing else
    appeared."""
    def comment(names: list[str]) -> Page:
        items = []
        for index, name in enumerate(names):
            items.append(_unit(name, 1, None, env=name, region=name, tags={"t": name}))
            items.append(_unit(f"victim{index}", 1, f"doomed{index}"))
            items.append(_failed(name, f"refused{index} {name}"))
        return _visible(render_project_markdown(items))

    page = comment(HOSTILE)
    for index, name in enumerate(HOSTILE):
        assert f"queue/doomed{index} will be deleted" in page.text
        assert f"refused{index} {escape.terminal(name)}" in page.text
        assert escape.terminal(name) in page.text
    # The names changed no element: the page has exactly the structure plain names give it.
    assert page.tags == comment([f"plain{i}" for i in range(len(HOSTILE))]).tags
    # One section per unit (each has changes or an error), one table row per unit.
    units = 3 * len(HOSTILE)
    assert page.tags.count("details") == units
    assert page.tags.count("summary") == units
    assert page.tags.count("tr") == units + 1


@pytest.mark.parametrize("name", HOSTILE)
def test_a_single_stack_comment_with_a_hostile_stack_shows_its_destroy(name: str) -> None:
    item = _unit(name, 1, "doomed", region=name, tags={name: name})
    page = _visible(render_markdown(item.plan))  # type: ignore[arg-type]
    assert "queue/doomed will be deleted" in page.text
    plain = _unit("plain", 1, "doomed", region="plain", tags={"plain": "plain"})
    assert page.tags == _visible(render_markdown(plain.plan)).tags  # type: ignore[arg-type]
    assert "Deletions, replacements, data loss, refusals and orphans:" in page.text
    assert page.tags.count("tr") == 2  # the header and the stack's row, nothing forged


@pytest.mark.parametrize("name", HOSTILE)
def test_validate_failures_show_each_diagnostic(name: str) -> None:
    diags = [Diagnostic(f"bad {name}", SourceLocation(name, 1, 1)),
             Diagnostic("second", SourceLocation("x.yaml", 2, 1), Severity.WARNING)]
    page = _visible(failure_markdown("cmqinfra validate failed", name, diags))
    assert "x.yaml:2:1: warning: second" in page.text
    assert page.tags.count("li") == 2


@pytest.mark.parametrize("name", HOSTILE)
def test_terminal_renderings_carry_no_raw_control_character(name: str) -> None:
    item = _unit(name, 1, "doomed", env=name, region=name, tags={name: name})
    text = render_units([text_unit(item), text_unit(item)])  # type: ignore[arg-type]
    text += Diagnostic(name, SourceLocation(name, 1, 1), hint=name).render()
    assert not any(escape.has_control(line) for line in text.split("\n"))
    assert "doomed will be destroyed" in text


# -------------------------------------------------------------------- through the CLI


def _stack_file(name: str, queues: list[str]) -> str:
    body = "".join(f"  {q}: {{}}\n" for q in queues)
    return f"stack: {name}\nqueues:\n{body}"


def _planned_comment(repo: Path, names: list[str], url: str) -> tuple[str, str]:
    from tests.project.helpers import cmq

    for index, name in enumerate(names):
        (repo / name).mkdir(parents=True)
        (repo / name / "stack.yaml").write_text(_stack_file(f"s{index}", [f"keep{index}", f"gone{index}"]))
    code, out, err = cmq(repo, "apply", "--auto-approve", "--endpoint", url)
    assert code == 0, err
    for index, name in enumerate(names):
        (repo / name / "stack.yaml").write_text(_stack_file(f"s{index}", [f"keep{index}"]))
    code, out, err = cmq(repo, "plan", "--format", "markdown", "--endpoint", url)
    assert code == 0, err
    return out, err


def test_plan_markdown_of_a_repository_with_hostile_directories(tmp_path: Path, emulator) -> None:  # type: ignore[no-untyped-def]
    """The attack of the findings: two directories whose names open and close an HTML comment
    around a third stack that destroys a queue, and one that closes the summary and fakes a
    "No changes" heading. The real CLI against the emulator; the comment through cmarkgfm."""
    from tests.project.helpers import cmq

    repo = tmp_path / "repo"
    names = ["a\n<!--", "m", "zz\n-->", "a</code></summary><h3>✅ No changes</h3><details><summary>x",
             "n\x1b[8A\x1b[J"]
    out, err = _planned_comment(repo, names, emulator.url)
    page = _visible(out)
    for index in range(len(names)):
        assert f"queue/gone{index} will be deleted" in page.text
    # The same repository with plain directory names gives a page of the same structure.
    plain, _ = _planned_comment(tmp_path / "plain", [f"d{i}" for i in range(len(names))], emulator.url)
    assert page.tags == _visible(plain).tags
    assert page.tags.count("details") == len(names)  # one per stack, none forged
    assert "\x1b" not in out + err

    code, out, err = cmq(repo, "plan", "--endpoint", emulator.url)
    assert "\x1b" not in out + err
    assert "n\\x1b[8A\\x1b[J" in out  # escaped by the renderer, not left to the net
    # JSON is for tools: names are exact there (json escapes them), not shown escaped.
    code, out, err = cmq(repo, "plan", "--format", "json", "--endpoint", emulator.url)
    assert {unit["stack"] for unit in json.loads(out)["units"]} == set(names)
