"""show of a saved plan file's units, offline: rendered as `plan` rendered them."""

from __future__ import annotations

import click

from cmqinfra.run import session
from cmqinfra.run.saved import PlanFile
from cmqinfra.run.unit_view import show_all


def show_saved(plan_file: str, saved_file: PlanFile, fmt: str, resource_types: str = "cmqinfra") -> None:
    """A plan file rendered offline, as `plan` rendered it: one unit (a PATH's) or many (a
    project's: every unit, the table), then where each was planned and what data loss it approves."""
    from cmqinfra.project.units import StackUnit
    from cmqinfra.run.planfile import project_units
    from cmqinfra.run.runner import UnitPlan

    single = not saved_file.project
    if single:  # a PATH's stack: no project around it, its target as the flags chose it
        [one] = saved_file.units
        units = [(StackUnit(one.stack.name, None, (), one.region), one)]
        items = [UnitPlan(units[0][0], one.region, None, plan=one.plan)]
    else:
        try:
            saved = project_units(saved_file)
        except session.Failure as exc:
            raise session.Failure(f"{plan_file}: {exc}") from None
        units = [(s.unit, s.saved) for s in saved]
        items = [UnitPlan(s.unit, s.saved.region, s.target, plan=s.saved.plan) for s in saved]
    show_all(items, fmt, resource_types=resource_types, single=single)
    if fmt != "text":
        return
    lines = []
    for unit, planned in units:
        if planned.target is None:
            continue
        approved = ", ".join(planned.approved_data_loss) or "none"
        where = f"planned against {planned.target.describe()}; data loss approved for: {approved}."
        lines.append(where[0].upper() + where[1:] if single else f"{unit.key}: {where}")
    if lines:
        click.echo("\n" + "\n".join(lines))
