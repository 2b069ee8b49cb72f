"""``apply --plan`` takes where to go from the apply run, never from the plan file.

A plan file says which endpoint, account and credential variables each stack was planned against.
It is an artifact that passed through a pull request's job: it may be edited, and even unedited
it only says what the pull request's ``cmqinfra.yaml`` said. So apply resolves every unit's target
again from the configuration of its own run (the checked-out ``cmqinfra.yaml`` and the operator's
flags and variables, under the same rules as plan: docs/security.md, G1) and refuses the whole
file, before any request, when a recorded target disagrees with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from cmqinfra.project.units import StackUnit
from cmqinfra.run.connections import ResolvedTarget, target_of
from cmqinfra.run.planfile import SavedUnit
from cmqinfra.run.session import Failure, TargetOptions
from cmqinfra.run.trust import endpoint_problem, normalise


def _place(target: ResolvedTarget) -> tuple[str, str | None, str | None]:
    return target.kind, normalise(target.url) if target.url else None, target.account


def bind_to_configuration(saved: Sequence[SavedUnit], units: Sequence[StackUnit], options: TargetOptions,
                          plan_file: str) -> list[SavedUnit]:
    """Each saved unit with the target and credential names of this run's configuration."""
    current = {u.key: u for u in units}
    out, problems = [], []
    for entry in saved:
        key = entry.unit.key
        unit = current.get(key)
        if unit is None:
            problems.append(f"{key} is not a stack of this run's project")
            continue
        recorded = entry.target
        if recorded.kind == "endpoint" and not unit.target.endpoint and not options.endpoint:
            # Planned with the operator's --endpoint: allowed again only as the operator allows now.
            problem = endpoint_problem(str(recorded.url), options.allowed_endpoints)
            if problem is not None:
                problems.append(f"{key}: planned against {recorded.url}, which this run does not name: "
                                f"pass --endpoint {recorded.url} (or --allow-endpoint) to apply there")
                continue
            target = recorded
        elif recorded.kind == "local" and not unit.target.endpoint:
            target = recorded
        else:
            try:
                target = target_of(unit, options, recorded.region)
            except Failure as exc:
                problems.append(f"{key}: {exc}")
                continue
        if _place(target) != _place(recorded):
            problems.append(f"{key}: the plan was made against {recorded.describe()}, this run's "
                            f"configuration says {target.describe()}")
            continue
        if unit.target.credentials != entry.unit.target.credentials:
            problems.append(f"{key}: the plan names other credential variables than this run's "
                            "configuration")
            continue
        bound_unit = dataclasses.replace(entry.unit, target=unit.target)
        bound_target = dataclasses.replace(target, region=recorded.region)
        out.append(dataclasses.replace(entry, unit=bound_unit, target=bound_target))
    if problems:
        raise Failure(f"{plan_file}: the saved plan's targets are not this run's: {'; '.join(problems)}; "
                      "nothing was changed")
    return out
