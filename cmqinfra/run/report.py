"""A run's units as the renderers read them: text (cmqinfra/render/text.py), JSON, and ONE
pull-request comment.

The comment is cmqinfra/render/markdown.py's layout (risk first: summary, CAUTION across all
units, drift, a table ordered by risk, one collapsed section per unit), the same one a single
stack and ``show`` get; this module only turns the run's units into what that renderer reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.render.budget import COMMENT_BUDGET
from cmqinfra.render.text import TextUnit
from cmqinfra.run.failure import Failure
from cmqinfra.run.runner import UnitPlan

if TYPE_CHECKING:  # the markdown view is loaded by the runs that draw it, not by every plan
    from cmqinfra.render.markdown import Provenance, Section, UnitView

PROJECT_JSON_FORMAT = "1.0"


def counts(item: UnitPlan) -> tuple[int, int, int] | None:
    if item.plan is None:
        return None
    s = item.plan.summary
    return s.add, s.change, s.destroy


def text_unit(item: UnitPlan) -> TextUnit:
    """A unit as the text view shows it (cmqinfra/render/text.py)."""
    return TextUnit(item.unit.key, item.unit.stack_name, item.unit.environment, item.region,
                    item.target.describe() if item.target else None,
                    item.plan if item.error is None else None, item.status)


def unit_json(item: UnitPlan) -> dict[str, Any]:
    from cmqinfra.render.json import plan_to_json

    return {
        "stack": item.unit.stack_name,
        "environment": item.unit.environment,
        "region": item.region,
        "target": item.target.describe() if item.target else None,
        "status": item.status,
        "error": item.error,
        "diagnostics": [d.to_json() for d in item.diagnostics],
        "plan": plan_to_json(item.plan) if item.plan is not None else None,
    }


def project_json(items: Sequence[UnitPlan]) -> dict[str, Any]:
    return {"format_version": PROJECT_JSON_FORMAT, "units": [unit_json(i) for i in items]}


def unit_view(item: UnitPlan, orphans: Sequence[str] = ()) -> UnitView:
    """A unit as the comment shows it."""
    from cmqinfra.render.markdown import UnitView

    return UnitView(
        key=item.unit.key,
        region=item.region,
        plan=item.plan if item.error is None else None,
        status=item.status,
        error=item.error,
        diagnostics=tuple(d.render() for d in item.diagnostics),
        orphans=tuple(orphans),
    )


def provenance_of(root: str | Path) -> Provenance:
    """The commit checked out at ``root`` (None outside git) and the time now, in UTC."""
    import subprocess

    from cmqinfra.render.markdown import Provenance

    try:
        done = subprocess.run(["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=False, timeout=30)
        commit = done.stdout.strip() if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        commit = None
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return Provenance(commit or None, now)


def write_full_plan(path: str, text: str) -> None:
    """The uncut comment, for the file a cut comment names (published by the CI recipes)."""
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise Failure(f"cannot write the full plan to {path}: {exc.strerror or exc}") from None


def _policy_diagnostics(item: UnitPlan) -> tuple[Diagnostic, ...]:
    plan = item.plan
    return item.diagnostics + ((plan.errors + plan.warnings) if plan is not None else ())


def render_project_markdown(items: Sequence[UnitPlan], note: str | None = None,
                            limit: int | None = COMMENT_BUDGET, *,
                            provenance: Provenance | None = None, full_plan: str | None = None,
                            orphans: Mapping[str, Sequence[str]] | None = None,
                            sections: Sequence[Section] | None = None,
                            project_orphans: Sequence[str] = ()) -> str:
    """One pull-request comment for the whole run, at most ``limit`` characters (see
    cmqinfra/render/markdown.py for the layout), with the diagram of what the run touches as its
    optional section unless ``sections`` is given. ``orphans``: by unit key; ``project_orphans``:
    resources owned by stacks no unit is any more."""
    from cmqinfra.render.markdown import render_report
    from cmqinfra.render.policy import policy_lines

    if sections is None:
        from cmqinfra.graph.plan_diagram import plan_sections

        plans = [(i.unit.key, i.plan) for i in items if i.plan is not None and i.error is None and i.plan.ok]
        sections = plan_sections(plans) if plans else []
    views = [unit_view(i, (orphans or {}).get(i.unit.key, ())) for i in items]
    return render_report(views, note=note, provenance=provenance, full_plan=full_plan, sections=sections,
                         limit=limit, project_orphans=project_orphans,
                         policy=policy_lines([(i.unit.key, _policy_diagnostics(i)) for i in items]))
