"""A project's plans in the one plan-file format (cmqinfra/run/saved.py), each unit bound to its target.

``apply --plan FILE`` reads it, plans every unit again against the target it was planned for and
refuses the whole file, changing nothing, if any unit's live state moved since. It holds the
names of credential variables, never a key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cmqinfra.project.config import Credentials
from cmqinfra.project.units import StackUnit, UnitTarget
from cmqinfra.run.binding import PlanTarget
from cmqinfra.run.connections import ResolvedTarget
from cmqinfra.run.failure import Failure
from cmqinfra.run.runner import UnitPlan
from cmqinfra.run.saved import (
    CredentialNames,
    PlanFile,
    SavedPlan,
    UnitToSave,
    read_plan_file,
    write_plan_file,
)


@dataclass(frozen=True)
class SavedUnit:
    unit: StackUnit
    target: ResolvedTarget  # exactly where it was planned
    saved: SavedPlan
    caller_account: str | None = None  # the account the credentials belonged to


def _plan_target(item: UnitPlan, caller_account: str | None) -> PlanTarget:
    target = item.target
    assert target is not None
    return PlanTarget(target.kind, item.region, endpoint=target.url, account=caller_account)


def save_project_plan(items: Sequence[UnitPlan], path: str, accounts: dict[str, str | None]) -> None:
    """``accounts``: the account each unit's credentials belong to (by unit key), bound into the plan."""
    units = []
    for item in items:
        assert item.plan is not None and item.target is not None
        creds = item.unit.target.credentials
        units.append(UnitToSave(
            item.plan,
            _plan_target(item, accounts.get(item.unit.key)),
            unit_stack=item.unit.stack_name,
            environment=item.unit.environment,
            allowed_account=item.target.account,
            credentials=None if creds is None else CredentialNames(
                creds.secret_id, creds.secret_key, creds.session_token),
        ))
    write_plan_file(units, path, project=True)


def project_units(plan_file: PlanFile) -> list[SavedUnit]:
    """A plan file's units as units of a project, each bound to the target it was planned on.
    A single stack's file is a project of one (no environment, the target its flags chose)."""
    out = []
    for saved in plan_file.units:
        planned = saved.target
        if planned is None:
            raise Failure("the saved plan does not say where it was made; nothing was changed "
                          "(run plan again)")
        creds = saved.credentials
        endpoint = planned.endpoint if planned.kind == "endpoint" else None
        unit = StackUnit(
            stack_name=saved.unit_stack or saved.stack.name,
            environment=saved.environment,
            paths=(),
            region=planned.region,
            target=UnitTarget(
                endpoint=endpoint,
                account=saved.allowed_account,
                credentials=None if creds is None else Credentials(
                    creds.secret_id, creds.secret_key, creds.session_token),
            ),
        )
        resolved = ResolvedTarget(planned.kind, endpoint, saved.allowed_account, planned.region)
        out.append(SavedUnit(unit, resolved, saved, planned.account))
    return out


def read_project_plan(path: str) -> list[SavedUnit]:
    return project_units(read_plan_file(path))
