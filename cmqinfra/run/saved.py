"""The plan file: what ``plan --out`` writes and ``apply --plan`` / ``show`` read, in ONE format.

A plan file holds a run's units: one when manifest PATHs were given, one per stack and
environment in project mode. Each unit's entry is its JSON plan (``terraform show -json`` shape)
plus a ``saved_plan`` section: the desired stack with its manifest locations, the live-state
fingerprint, the target the plan is bound to (region, kind, endpoint or local state directory,
the account the credentials belonged to), the queues whose data loss it approves and, for a
project's unit, its stack, environment, the account its environment allows and the NAMES of the
variables its credentials come from. No credential is ever written.

``read_plan_file`` is the one reader, used by ``show`` and ``apply --plan`` for a single stack
and for a project alike. ``write_plan_bytes`` / ``read_plan_bytes`` are the only places the
file's bytes are written and read: a file-level seal wraps them, never the layers above.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cmqinfra import __version__
from cmqinfra.model import Stack
from cmqinfra.plan.shape import stack_from_data, stack_to_data
from cmqinfra.plan.values import Plan
from cmqinfra.render.json import plan_from_json, plan_to_json
from cmqinfra.run.binding import PlanTarget
from cmqinfra.run.failure import Failure
from cmqinfra.run.seal import plan_key, unseal, write_sealed

PLAN_FILE_KIND = "cmqinfra-plan"
SAVED_PLAN_KIND = "cmqinfra-saved-plan"  # the kind of each unit's ``saved_plan`` section
PLAN_FILE_FORMAT = "2"
MAX_PLAN_FILE_BYTES = 512 * 1024 * 1024  # far above any real plan: a bound, not a budget


@dataclass(frozen=True)
class CredentialNames:
    """The names of the environment variables a project unit's keys are read from (never keys)."""

    secret_id: str
    secret_key: str
    session_token: str | None = None


@dataclass(frozen=True)
class SavedPlan:
    """One unit of a plan file, as saved."""

    stack: Stack
    region: str | None
    fingerprint: str
    destroy: bool
    actions: tuple[tuple[str, tuple[str, ...]], ...]
    target: PlanTarget | None = None
    approved_data_loss: tuple[str, ...] = ()
    plan: Plan | None = None  # the plan as saved, for `show`
    targets: tuple[str, ...] = ()  # a partial plan (--target) is applied with the same targets
    # A project's unit only: where it sits in the project, and how its target was configured.
    unit_stack: str | None = None  # the project's name for the stack (cmqinfra.yaml, or its directory)
    environment: str | None = None
    allowed_account: str | None = None  # the account its environment names (cmqinfra.yaml)
    credentials: CredentialNames | None = None


@dataclass(frozen=True)
class UnitToSave:
    """What the writer needs of one unit: its plan and where it was made."""

    plan: Plan
    target: PlanTarget | None
    unit_stack: str | None = None
    environment: str | None = None
    allowed_account: str | None = None
    credentials: CredentialNames | None = None


@dataclass(frozen=True)
class PlanFile:
    """Every unit of one plan file. ``project``: made in project mode (with no PATH)."""

    units: tuple[SavedPlan, ...]
    project: bool

    @property
    def single(self) -> SavedPlan:
        """The one unit of a plan made from manifest PATHs."""
        if self.project or len(self.units) != 1:
            raise Failure("the plan file holds a project's plan: apply it with `cmqinfra apply --plan FILE` "
                          "and no manifest PATH")
        return self.units[0]


# ------------------------------------------------------------ bytes (the seal wraps these two)


def write_plan_bytes(path: str, data: bytes) -> None:
    """Write the plan file's bytes sealed (cmqinfra/run/seal.py: a digest, and an HMAC with
    CMQINFRA_PLAN_KEY), atomically and readable by its owner only (0600)."""
    try:
        write_sealed(path, data)
    except OSError as exc:
        raise Failure(f"cannot write the plan to {path}: {exc.strerror or exc}") from None


def read_plan_bytes(path: str, expect_digest: str | None = None) -> bytes:
    """The plan's own bytes, read once and checked against its seal (refused, naming the file, when
    an edit shows, or when ``expect_digest`` is another): what is shown is what is applied."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PLAN_FILE_BYTES + 1)
    except OSError as exc:
        raise Failure(f"{path}: cannot read the saved plan: {exc.strerror or exc}") from None
    if len(data) > MAX_PLAN_FILE_BYTES:
        raise Failure(f"{path}: not a cmqinfra saved plan (larger than {MAX_PLAN_FILE_BYTES // 2**20} MB)")
    plain, _found = unseal(data, path, plan_key(), expect_digest)
    return plain


# ------------------------------------------------------------ one unit


def unit_doc(unit: UnitToSave) -> dict[str, Any]:
    plan, target = unit.plan, unit.target
    doc: dict[str, Any] = plan_to_json(plan)
    if target is not None:
        doc["target"] = target.to_json()
    creds = unit.credentials
    doc["saved_plan"] = {
        "kind": SAVED_PLAN_KIND,
        "unit": None if unit.unit_stack is None else {
            "stack": unit.unit_stack, "environment": unit.environment},
        "fingerprint": plan.fingerprint,
        "destroy": plan.destroy,
        "target": None if target is None else target.to_json(),
        "allowed_account": unit.allowed_account,
        "credentials": None if creds is None else {
            "secretId": creds.secret_id, "secretKey": creds.secret_key, "sessionToken": creds.session_token},
        "approved_data_loss": list(plan.approved_data_loss),
        "targets": list(plan.targets),
        "desired": stack_to_data(plan.stack),
    }
    return doc


def unit_from_doc(doc: Any) -> SavedPlan:
    """One unit's entry back (raises KeyError / TypeError / ValueError on a malformed one)."""
    meta = doc["saved_plan"]
    if meta.get("kind") != SAVED_PLAN_KIND:
        raise KeyError("kind")
    stack = stack_from_data(meta["desired"])
    target = meta.get("target")
    creds = meta.get("credentials")
    unit = meta.get("unit")
    unit_stack = None if unit is None else unit["stack"]
    environment = None if unit is None else unit["environment"]
    if not isinstance(unit_stack, (str, type(None))) or not isinstance(environment, (str, type(None))):
        raise TypeError("unit")
    return SavedPlan(
        stack=stack,
        region=doc.get("region"),
        fingerprint=meta["fingerprint"],
        destroy=bool(meta.get("destroy", False)),
        actions=tuple((c["address"], tuple(c["change"]["actions"])) for c in doc["resource_changes"]),
        target=None if target is None else PlanTarget.from_json(target),
        approved_data_loss=tuple(str(a) for a in meta.get("approved_data_loss") or ()),
        plan=plan_from_json(doc, stack),
        targets=tuple(str(a) for a in meta.get("targets") or ()),
        unit_stack=unit_stack,
        environment=environment,
        allowed_account=meta.get("allowed_account"),
        credentials=None if not creds else CredentialNames(
            str(creds["secretId"]), str(creds["secretKey"]),
            None if creds.get("sessionToken") is None else str(creds["sessionToken"])),
    )


# ------------------------------------------------------------ the file


def write_plan_file(units: Sequence[UnitToSave], path: str, *, project: bool) -> None:
    doc = {
        "kind": PLAN_FILE_KIND,
        "format_version": PLAN_FILE_FORMAT,
        "cmqinfra_version": __version__,
        "project": project,
        "units": [unit_doc(u) for u in units],
    }
    write_plan_bytes(path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))


def read_plan_file(path: str, expect_digest: str | None = None) -> PlanFile:
    """The one reader of plan files (``show``, ``apply --plan``; a stack's or a project's)."""
    data = read_plan_bytes(path, expect_digest)
    try:
        doc = json.loads(data.decode("utf-8"))
        if not isinstance(doc, dict) or doc.get("kind") != PLAN_FILE_KIND:
            raise KeyError("kind")
        made_by = doc.get("cmqinfra_version")
        if made_by != __version__:
            # Like a Terraform plan file, a saved plan belongs to the version that made it: its
            # live-state fingerprint is only comparable with one computed by the same code.
            raise Failure(
                f"{path}: the saved plan was made by cmqinfra {made_by or 'of another version'}, "
                f"this is cmqinfra {__version__}; nothing was changed (run plan again)"
            )
        units = tuple(unit_from_doc(entry) for entry in doc["units"])
        project = doc.get("project")
        if not isinstance(project, bool) or (not project and len(units) != 1):
            raise ValueError("project")
        return PlanFile(units, project)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise Failure(f"{path}: not a cmqinfra saved plan ({_what(exc)})") from None


def _what(exc: BaseException) -> str:
    """The reason for a malformed file, in words (a bare KeyError would print as 'saved_plan')."""
    if isinstance(exc, KeyError):
        return f"missing or wrong field {exc.args[0]!s}" if exc.args else "missing field"
    return str(exc) or type(exc).__name__


# ------------------------------------------------------------ a single stack's file


def write_saved(plan: Plan, path: str, target: PlanTarget | None) -> None:
    """The plan file of one stack (manifest PATHs): a plan file of one unit."""
    write_plan_file([UnitToSave(plan, target)], path, project=False)


def read_saved(path: str) -> SavedPlan:
    """The one unit of a stack's plan file (refuses a project's, which names its stacks)."""
    plan_file = read_plan_file(path)
    try:
        return plan_file.single
    except Failure as exc:
        raise Failure(f"{path}: {exc}") from None
