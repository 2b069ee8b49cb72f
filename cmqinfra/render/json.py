"""The plan as JSON shaped like ``terraform show -json`` so policy tools can read it."""

from __future__ import annotations

import json
from typing import Any

from cmqinfra.plan.shape import to_data
from cmqinfra.plan.values import Action, Plan, ResourceChange

FORMAT_VERSION = "1.0"

_ACTIONS: dict[Action, list[str]] = {
    Action.CREATE: ["create"],
    Action.UPDATE: ["update"],
    Action.ADOPT: ["update"],
    Action.REPLACE: ["delete", "create"],
    Action.DELETE: ["delete"],
    Action.MOVE: ["update"],
    Action.IMPORT: ["update"],
    # Terraform's word for "no longer managed here, not destroyed".
    Action.MOVE_OUT: ["forget"],
    Action.RELEASE: ["forget"],
    Action.NO_OP: ["no-op"],
}


def change_to_json(change: ResourceChange) -> dict[str, Any]:
    body: dict[str, Any] = {
        "actions": list(_ACTIONS[change.action]),
        "before": None if change.before is None else to_data(change.before),
        "after": None if change.after is None else to_data(change.after),
        "replace_paths": [p.split(".") for p in change.replace_paths],
        "attribute_changes": [
            {"path": a.path, "before": a.before, "after": a.after, "forces_replacement": a.forces_replacement}
            for a in change.attribute_changes
        ],
        "reasons": list(change.reasons),
    }
    if change.action is Action.ADOPT:
        body["adopt"] = True
    if change.action is Action.IMPORT:
        body["importing"] = {"id": change.import_id}
    if change.action is Action.RELEASE:
        body["release"] = True
    if change.action is Action.MOVE:
        body["move"] = {"from_stack": change.moved_from}
    if change.action is Action.MOVE_OUT:
        body["move"] = {"to_stack": change.moved_to}
    out: dict[str, Any] = {"address": change.address, "type": change.type, "name": change.name}
    if change.action is Action.MOVE:
        out["previous_address"] = f"{change.moved_from}:{change.address}"
    out["change"] = body
    return out


def plan_to_json(plan: Plan) -> dict[str, Any]:
    s = plan.summary
    return {
        "format_version": FORMAT_VERSION,
        "stack": plan.stack.name,
        "region": plan.region,
        "destroy": plan.destroy,
        "resource_changes": [change_to_json(c) for c in plan.changes],
        "summary": {
            "add": s.add,
            "change": s.change,
            "destroy": s.destroy,
            "adopt": s.adopt,
            "move": s.move,
            "release": s.release,
            "import": s.import_,
        },
        "partial": plan.partial,
        "targets": list(plan.targets),
        "errors": [d.to_json() for d in plan.errors],
        "warnings": [d.to_json() for d in plan.warnings],
    }


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_json(plan), indent=2, sort_keys=False)
