"""The project plan file: every unit's saved plan in one file, each bound to its own target.

``apply --plan FILE`` reads it, plans every unit again against the target it was planned for and
refuses the whole file, changing nothing, if any unit's live state moved since. It holds the
names of credential variables, never a key.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmqinfra import __version__
from cmqinfra.plan.values import Plan
from cmqinfra.project.config import Credentials
from cmqinfra.project.connections import ResolvedTarget
from cmqinfra.project.runner import UnitPlan
from cmqinfra.project.units import StackUnit, UnitTarget
from cmqinfra.run import session
from cmqinfra.run.seal import SEAL_KEY, write_sealed
from cmqinfra.run.session import Failure, SavedPlan

PROJECT_PLAN_KIND = "cmqinfra-project-plan"


@dataclass(frozen=True)
class SavedUnit:
    unit: StackUnit
    target: ResolvedTarget  # exactly where it was planned
    saved: SavedPlan
    caller_account: str | None = None  # the account the credentials belonged to


def is_project_plan(path: str) -> bool:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("kind") == PROJECT_PLAN_KIND


# Each unit's entry is exactly the single-stack saved plan, written and read by the single-stack
# code itself (through a scratch file), so the two formats can never drift apart.


def _saved_doc(plan: Plan) -> Any:
    with tempfile.TemporaryDirectory(prefix="cmqinfra-plan-") as scratch:
        file = Path(scratch) / "unit.plan"
        session.save(plan, str(file))
        doc = json.loads(file.read_text(encoding="utf-8"))
        doc.pop(SEAL_KEY, None)  # the project file is sealed as a whole
        return doc


def _saved_from_doc(doc: Any, name: str) -> SavedPlan:
    with tempfile.TemporaryDirectory(prefix="cmqinfra-plan-") as scratch:
        file = Path(scratch) / "unit.plan"
        file.write_text(json.dumps(doc), encoding="utf-8")
        try:
            return session.read_saved(str(file))
        except Failure as exc:
            raise Failure(str(exc).replace(str(file), name)) from None


def save_project_plan(items: Sequence[UnitPlan], path: str, accounts: dict[str, str | None]) -> None:
    """``accounts``: the account each unit's credentials belong to (by unit key), bound into the plan."""
    units = []
    for item in items:
        assert item.plan is not None and item.target is not None
        unit, target = item.unit, item.target
        creds = unit.target.credentials
        units.append({
            "stack": unit.stack_name,
            "environment": unit.environment,
            "region": item.region,
            "target": {
                "kind": target.kind,
                "endpoint": target.url,
                "account": target.account,
                "caller_account": accounts.get(unit.key),
                "credentials": {"secretId": creds.secret_id, "secretKey": creds.secret_key,
                                "sessionToken": creds.session_token} if creds else None,
            },
            "plan": _saved_doc(item.plan),
        })
    doc = {"kind": PROJECT_PLAN_KIND, "cmqinfra_version": __version__, "units": units}
    try:
        write_sealed(path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))  # sealed, 0600
    except OSError as exc:
        raise Failure(f"cannot write the plan to {path}: {exc.strerror or exc}") from None


def read_project_plan(path: str) -> list[SavedUnit]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise Failure(f"{path}: cannot read the saved plan: {exc.strerror}") from None
    except ValueError as exc:
        raise Failure(f"{path}: not a cmqinfra saved plan ({exc})") from None
    if doc.get("cmqinfra_version") != __version__:
        raise Failure(f"{path}: the saved plan was made by cmqinfra {doc.get('cmqinfra_version')}, this is "
                      f"cmqinfra {__version__}; nothing was changed (run plan again)")
    out = []
    try:
        for entry in doc["units"]:
            target: dict[str, Any] = entry["target"]
            creds = target.get("credentials")
            unit = StackUnit(
                stack_name=entry["stack"],
                environment=entry["environment"],
                paths=(),
                region=entry["region"],
                target=UnitTarget(
                    endpoint=target["endpoint"] if target["kind"] == "endpoint" else None,
                    account=target.get("account"),
                    credentials=Credentials(creds["secretId"], creds["secretKey"], creds.get("sessionToken"))
                    if creds else None,
                ),
            )
            resolved = ResolvedTarget(target["kind"], target["endpoint"], target.get("account"),
                                      entry["region"])
            out.append(SavedUnit(unit, resolved, _saved_from_doc(entry["plan"], f"{path} ({unit.key})"),
                                 target.get("caller_account")))
    except (KeyError, TypeError) as exc:
        raise Failure(f"{path}: not a cmqinfra project plan ({exc})") from None
    return out
