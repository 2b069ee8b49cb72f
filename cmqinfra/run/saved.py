"""Saved plans: the file ``plan --out`` writes and ``apply --plan`` / ``show`` read.

The file is the JSON plan (``terraform show -json`` shape) plus a ``saved_plan`` section: the
desired stack with its manifest locations, the live-state fingerprint, the target the plan is
bound to (region, kind, endpoint or local state directory, account) and the queues whose data
loss it approves. No credential is ever written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmqinfra import __version__
from cmqinfra.model import Stack
from cmqinfra.plan.shape import stack_from_data, stack_to_data
from cmqinfra.plan.values import Plan
from cmqinfra.render.json import plan_from_json, plan_to_json
from cmqinfra.run.binding import PlanTarget
from cmqinfra.run.failure import Failure
from cmqinfra.run.seal import write_sealed

SAVED_PLAN_KIND = "cmqinfra-saved-plan"


@dataclass(frozen=True)
class SavedPlan:
    stack: Stack
    region: str | None
    fingerprint: str
    destroy: bool
    actions: tuple[tuple[str, tuple[str, ...]], ...]
    target: PlanTarget | None = None
    approved_data_loss: tuple[str, ...] = ()
    plan: Plan | None = None  # the plan as saved, for `show`
    targets: tuple[str, ...] = ()  # a partial plan (--target) is applied with the same targets


def write_saved(plan: Plan, path: str, target: PlanTarget | None) -> None:
    doc: dict[str, Any] = plan_to_json(plan)
    if target is not None:
        doc["target"] = target.to_json()
    doc["saved_plan"] = {
        "kind": SAVED_PLAN_KIND,
        "cmqinfra_version": __version__,
        "fingerprint": plan.fingerprint,
        "destroy": plan.destroy,
        "target": None if target is None else target.to_json(),
        "approved_data_loss": list(plan.approved_data_loss),
        "targets": list(plan.targets),
        "desired": stack_to_data(plan.stack),
    }
    try:
        # Sealed (cmqinfra/run/seal.py) and written 0600: an edit is evident, and others cannot read it.
        write_sealed(path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        raise Failure(f"cannot write the plan to {path}: {exc.strerror or exc}") from None


def read_saved(path: str) -> SavedPlan:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        meta = doc["saved_plan"]
        if meta.get("kind") != SAVED_PLAN_KIND:
            raise KeyError("kind")
        made_by = meta.get("cmqinfra_version")
        if made_by != __version__:
            # Like a Terraform plan file, a saved plan belongs to the version that made it: its
            # live-state fingerprint is only comparable with one computed by the same code.
            raise Failure(
                f"{path}: the saved plan was made by cmqinfra {made_by or 'of another version'}, "
                f"this is cmqinfra {__version__}; nothing was changed (run plan again)"
            )
        stack = stack_from_data(meta["desired"])
        target = meta.get("target")
        return SavedPlan(
            stack=stack,
            region=doc.get("region"),
            fingerprint=meta["fingerprint"],
            destroy=bool(meta.get("destroy", False)),
            actions=tuple((c["address"], tuple(c["change"]["actions"])) for c in doc["resource_changes"]),
            target=None if target is None else PlanTarget.from_json(target),
            approved_data_loss=tuple(meta.get("approved_data_loss", ())),
            plan=plan_from_json(doc, stack),
            targets=tuple(str(a) for a in meta.get("targets") or ()),
        )
    except OSError as exc:
        raise Failure(f"{path}: cannot read the saved plan: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Failure(f"{path}: not a cmqinfra saved plan ({exc})") from None
