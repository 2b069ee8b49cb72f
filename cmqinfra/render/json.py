"""The plan as JSON shaped like ``terraform show -json`` so policy tools can read it."""

from __future__ import annotations

import json
from typing import Any

from cmqinfra.model import Stack
from cmqinfra.plan.shape import queue_from_data, subscription_from_data, to_data, topic_from_data
from cmqinfra.plan.values import Action, AttributeChange, DataLoss, Plan, ResourceChange
from cmqinfra.render.diagnostics import diagnostic_from_json, diagnostic_to_json

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
            {"path": a.path, "before": a.before, "after": a.after, "forces_replacement": a.forces_replacement,
             "changed_outside_cmqinfra": a.outside}
            for a in change.attribute_changes
        ],
        "reasons": list(change.reasons),
    }
    if change.deleted_outside:
        body["deleted_outside_cmqinfra"] = True
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


def data_loss_to_json(loss: DataLoss) -> dict[str, Any]:
    return {
        "address": loss.address,
        "action": loss.action.value,
        "messages": {"active": loss.active, "in_flight": loss.inactive, "delayed": loss.delayed},
        "approved": loss.approved,
    }


def plan_to_json(plan: Plan) -> dict[str, Any]:
    s = plan.summary
    return {
        "format_version": FORMAT_VERSION,
        "stack": plan.stack.name,
        "region": plan.region,
        "region_source": plan.region_source,
        "destroy": plan.destroy,
        "applicable": plan.ok,
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
        "data_loss": [data_loss_to_json(d) for d in plan.data_loss],
        "errors": [d.to_json() for d in plan.errors],
        "warnings": [d.to_json() for d in plan.warnings],
        "diagnostics": [diagnostic_to_json(d) for d in (*plan.errors, *plan.warnings)],
    }


_FROM_DATA = {"queue": queue_from_data, "topic": topic_from_data, "subscription": subscription_from_data}


def _action_of(body: dict[str, Any]) -> Action:
    actions = list(body["actions"])
    if body.get("adopt"):
        return Action.ADOPT
    if "importing" in body:
        return Action.IMPORT
    if body.get("release"):
        return Action.RELEASE
    move = body.get("move") or {}
    if "from_stack" in move:
        return Action.MOVE
    if "to_stack" in move:
        return Action.MOVE_OUT
    special = (Action.ADOPT, Action.IMPORT, Action.RELEASE, Action.MOVE, Action.MOVE_OUT)
    for action, shown in _ACTIONS.items():
        if action not in special and shown == actions:
            return action
    raise ValueError(f"unknown actions {actions!r}")


def _change_from_json(data: dict[str, Any]) -> ResourceChange:
    body = data["change"]
    build = _FROM_DATA[data["type"]]
    return ResourceChange(
        address=data["address"],
        type=data["type"],
        name=data["name"],
        action=_action_of(body),
        before=None if body["before"] is None else build(body["before"]),
        after=None if body["after"] is None else build(body["after"]),
        attribute_changes=tuple(
            AttributeChange(a["path"], a["before"], a["after"], bool(a["forces_replacement"]),
                            bool(a.get("changed_outside_cmqinfra", False)))
            for a in body.get("attribute_changes", [])
        ),
        deleted_outside=bool(body.get("deleted_outside_cmqinfra", False)),
        reasons=tuple(body.get("reasons", [])),
        moved_from=(body.get("move") or {}).get("from_stack"),
        moved_to=(body.get("move") or {}).get("to_stack"),
        import_id=(body.get("importing") or {}).get("id"),
    )


def plan_from_json(doc: dict[str, Any], stack: Stack) -> Plan:
    """The Plan a saved plan file holds (``stack`` is its desired stack), for rendering."""
    losses = tuple(
        DataLoss(
            d["address"],
            Action(d["action"]),
            int(d["messages"]["active"]),
            int(d["messages"]["in_flight"]),
            int(d["messages"]["delayed"]),
            bool(d["approved"]),
        )
        for d in doc.get("data_loss", [])
    )
    return Plan(
        stack=stack,
        region=doc.get("region"),
        changes=tuple(_change_from_json(c) for c in doc["resource_changes"]),
        fingerprint=doc.get("saved_plan", {}).get("fingerprint", ""),
        warnings=tuple(diagnostic_from_json(d) for d in doc.get("warnings", [])),
        errors=tuple(diagnostic_from_json(d) for d in doc.get("errors", [])),
        destroy=bool(doc.get("destroy", False)),
        region_source=doc.get("region_source"),
        data_loss=losses,
        targets=tuple(doc.get("targets") or ()),
    )


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_json(plan), indent=2, sort_keys=False)
