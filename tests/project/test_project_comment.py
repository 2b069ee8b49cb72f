"""The combined pull-request comment: a summary table, a section per stack, within GitHub's limit."""

from __future__ import annotations

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.live import LiveState
from cmqinfra.model import Queue, Stack
from cmqinfra.plan.compute import make_plan
from cmqinfra.project.units import StackUnit
from cmqinfra.render.markdown import GITHUB_COMMENT_LIMIT
from cmqinfra.run.connections import ResolvedTarget
from cmqinfra.run.report import render_project_markdown
from cmqinfra.run.runner import UnitPlan


def unit_plan(name: str, env: str, queues: int) -> UnitPlan:
    stack = Stack(name=name, region="ap-guangzhou",
                  queues=tuple(Queue(name=f"{name}-queue-{i:05d}") for i in range(queues)))
    plan = make_plan(stack, LiveState(), region="ap-guangzhou")
    unit = StackUnit(stack_name=name, environment=env, paths=(), region="ap-guangzhou")
    target = ResolvedTarget("endpoint", "http://127.0.0.1:1", None, None)
    return UnitPlan(unit, "ap-guangzhou", target, plan=plan)


def failed(name: str) -> UnitPlan:
    unit = StackUnit(stack_name=name, environment="prod", paths=(), region=None)
    return UnitPlan(unit, None, None, error="the manifests have errors",
                    diagnostics=(Diagnostic("queue name is bad"),))


def test_small_projects_show_every_plan_whole() -> None:
    items = [unit_plan("payments", "dev", 2), unit_plan("orders", "prod", 1), failed("audit")]
    text = render_project_markdown(items)
    assert text.startswith("## cmqinfra plan: 3 stack(s), 2 with changes, 1 refused or failed: "
                           "nothing can be applied\n")
    assert "| `payments[dev]` | `ap-guangzhou` | 2 | 0 | 0 | 0 | 0 | 0 | 0 | changes |" in text
    failed_row = ("| `audit[prod]` | - | - | - | - | - | - | - | - | "
                  "✗ **failed**: `the manifests have errors` |")
    assert failed_row in text
    assert text.count("<details><summary><code>") == 3
    assert '+   queue "payments-queue-00001"' in text
    assert "queue name is bad" in text
    assert "shortened" not in text


def test_twenty_large_stacks_fit_the_limit_each_with_its_section() -> None:
    items = [unit_plan(f"stack{i:02d}", "prod", 500) for i in range(20)] + [unit_plan("tiny", "dev", 1)]
    text = render_project_markdown(items)
    assert len(text) <= GITHUB_COMMENT_LIMIT
    for i in range(20):
        assert f"<details><summary><code>stack{i:02d}[prod]</code>: Plan: 500 to add" in text
        assert f"| `stack{i:02d}[prod]` | `ap-guangzhou` | 500 | 0 | 0 | 0 | 0 | 0 | 0 | changes |" in text
    # The small plan is kept whole; the large ones are shortened, and say so.
    assert '+   queue "tiny-queue-00000"' in text
    assert "shortened to stay under GitHub's" in text


def test_hundreds_of_stacks_still_fit() -> None:
    items = [unit_plan(f"s{i:03d}", "prod", 40) for i in range(400)]
    text = render_project_markdown(items)
    assert len(text) <= GITHUB_COMMENT_LIMIT
    assert text.startswith("## cmqinfra plan: 400 stack(s), 400 with changes\n")
