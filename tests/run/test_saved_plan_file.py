"""The one plan-file format, read back field by field: a stack's file (a project's of one unit),
a project unit's place and credential variable names, and each refusal's words. The files are
made by ``cmqinfra plan --out`` against an emulator; a project unit's fields are written into one
the way a project plan writes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmqinfra import __version__
from cmqinfra.emulator import Emulator
from cmqinfra.run import saved, seal
from cmqinfra.run.binding import PlanTarget
from cmqinfra.run.failure import Failure
from tests.project.helpers import cmq

STACK = "stack: shop\nqueues:\n  orders: {visibilityTimeout: 30}\n  audit: {}\n"


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv(seal.KEY_VARIABLE, raising=False)


@pytest.fixture
def plan_file(tmp_path: Path) -> Iterator[Path]:
    emu = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False)
    try:
        (tmp_path / "shop.yaml").write_text(STACK)
        code, _, err = cmq(tmp_path, "plan", "shop.yaml", "--endpoint", emu.url, "--out", "p.plan")
        assert code == 0, err
        yield tmp_path / "p.plan"
    finally:
        emu.stop()


def _doc(path: Path) -> dict:  # type: ignore[type-arg]
    plain, _ = seal.unseal(path.read_bytes(), str(path), None, None)
    return json.loads(plain)  # type: ignore[no-any-return]


def _rewrite(path: Path, doc: dict) -> None:  # type: ignore[type-arg]
    doc.pop(seal.SEAL_KEY, None)
    path.write_bytes(seal.seal(json.dumps(doc).encode(), None))


def _refused(path: Path) -> str:
    with pytest.raises(Failure) as refused:
        saved.read_plan_file(str(path))
    return str(refused.value)


def test_a_stacks_plan_file_is_one_unit_read_back_whole(plan_file: Path) -> None:
    plain, _ = seal.unseal(plan_file.read_bytes(), str(plan_file), None, None)
    # indented for a person reading or diffing it, one line at the end
    assert plain.startswith(b'{\n  "kind": "cmqinfra-plan",\n  "format_version": "2",\n')
    assert plain.endswith(b"}\n")
    doc = _doc(plan_file)
    assert (doc["kind"], doc["format_version"], doc["cmqinfra_version"], doc["project"]) == (
        "cmqinfra-plan", "2", __version__, False)
    assert doc["units"][0]["saved_plan"]["kind"] == "cmqinfra-saved-plan"
    unit = saved.read_saved(str(plan_file))
    assert unit.stack.name == "shop" and [q.name for q in unit.stack.queues] == ["audit", "orders"]
    assert unit.region == "ap-guangzhou" and unit.destroy is False
    assert sorted(unit.actions) == [("queue/audit", ("create",)), ("queue/orders", ("create",))]
    assert unit.target is not None and unit.target.kind == "endpoint" and unit.target.region == "ap-guangzhou"
    assert unit.plan is not None and unit.plan.summary.add == 2
    assert unit.fingerprint == unit.plan.fingerprint
    assert (unit.approved_data_loss, unit.targets) == ((), ())
    assert (unit.unit_stack, unit.environment) == (None, None)
    assert (unit.allowed_account, unit.credentials) == (None, None)


def test_a_project_units_place_and_credential_names_are_read_back(plan_file: Path) -> None:
    doc = _doc(plan_file)
    meta = doc["units"][0]["saved_plan"]
    meta["unit"] = {"stack": "shop", "environment": "prod"}
    meta["allowed_account"] = "100"
    meta["credentials"] = {"secretId": "PROD_SECRET_ID", "secretKey": "PROD_SECRET_KEY", "sessionToken": None}
    meta["approved_data_loss"] = ["orders"]
    meta["targets"] = ["queue/orders"]
    meta["destroy"] = 1
    meta["target"] = None
    doc["project"] = True
    _rewrite(plan_file, doc)
    project = saved.read_plan_file(str(plan_file))
    assert project.project
    (unit,) = project.units
    assert (unit.unit_stack, unit.environment, unit.allowed_account) == ("shop", "prod", "100")
    assert unit.credentials == saved.CredentialNames("PROD_SECRET_ID", "PROD_SECRET_KEY", None)
    assert (unit.approved_data_loss, unit.targets, unit.destroy, unit.target) == (
        ("orders",), ("queue/orders",), True, None)
    with pytest.raises(Failure) as single:
        saved.read_saved(str(plan_file))
    assert str(single.value) == (
        f"{plan_file}: the plan file holds a project's plan: apply it with `cmqinfra apply --plan FILE` "
        "and no manifest PATH")
    meta["credentials"]["sessionToken"] = "PROD_SESSION_TOKEN"
    del meta["destroy"]  # a unit that does not say it destroys does not
    _rewrite(plan_file, doc)
    (unit,) = saved.read_plan_file(str(plan_file)).units
    assert unit.credentials is not None and unit.credentials.session_token == "PROD_SESSION_TOKEN"
    assert unit.destroy is False


def test_a_unit_entry_written_for_a_project_names_its_place(plan_file: Path) -> None:
    unit = saved.read_saved(str(plan_file))
    assert unit.plan is not None
    target = PlanTarget("cloud", "ap-x", account="100")
    doc = saved.unit_doc(saved.UnitToSave(
        unit.plan, target, "shop", "prod", "100", saved.CredentialNames("P_SECRET_ID", "P_SECRET_KEY")))
    meta = doc["saved_plan"]
    assert doc["target"] == meta["target"] == target.to_json()
    assert meta["unit"] == {"stack": "shop", "environment": "prod"}
    assert meta["allowed_account"] == "100"
    assert meta["credentials"] == {
        "secretId": "P_SECRET_ID", "secretKey": "P_SECRET_KEY", "sessionToken": None}
    assert (meta["fingerprint"], meta["destroy"]) == (unit.plan.fingerprint, False)
    bare = saved.unit_doc(saved.UnitToSave(unit.plan, None))
    assert "target" not in bare
    assert (bare["saved_plan"]["unit"], bare["saved_plan"]["target"], bare["saved_plan"]["credentials"]) == (
        None, None, None)


def test_a_file_of_another_version_is_refused_naming_both(plan_file: Path) -> None:
    doc = _doc(plan_file)
    doc["cmqinfra_version"] = "0.0.1"
    _rewrite(plan_file, doc)
    assert _refused(plan_file) == (
        f"{plan_file}: the saved plan was made by cmqinfra 0.0.1, this is cmqinfra {__version__}; "
        "nothing was changed (run plan again)")
    del doc["cmqinfra_version"]
    _rewrite(plan_file, doc)
    assert _refused(plan_file) == (
        f"{plan_file}: the saved plan was made by cmqinfra of another version, this is cmqinfra "
        f"{__version__}; nothing was changed (run plan again)")


@pytest.mark.parametrize(("edit", "why"), [
    (lambda d: d.update(kind="other"), "missing or wrong field kind"),
    (lambda d: d["units"][0]["saved_plan"].update(kind="x"), "missing or wrong field kind"),
    (lambda d: d.update(project="yes"), "project"),
    (lambda d: d.update(units=d["units"] * 2), "project"),
    (lambda d: d["units"][0]["saved_plan"].update(unit={"stack": 1, "environment": "p"}), "unit"),
    (lambda d: d["units"][0]["saved_plan"].update(unit={"stack": "s", "environment": 2}), "unit"),
    (lambda d: d["units"][0]["saved_plan"].update(target={"kind": "ftp"}), "unknown target kind 'ftp'"),
    (lambda d: d.pop("units"), "missing or wrong field units"),
])
def test_a_malformed_file_is_one_line_naming_what_is_wrong(plan_file: Path, edit, why: str) -> None:  # type: ignore[no-untyped-def]
    doc = _doc(plan_file)
    edit(doc)
    _rewrite(plan_file, doc)
    assert _refused(plan_file) == f"{plan_file}: not a cmqinfra saved plan ({why})"


def test_a_file_that_is_not_json_or_not_an_object(tmp_path: Path) -> None:
    (tmp_path / "a.plan").write_bytes(b"[1, 2]")
    assert _refused(tmp_path / "a.plan") == (
        f"{tmp_path / 'a.plan'}: not a cmqinfra saved plan (missing or wrong field kind)")
    (tmp_path / "b.plan").write_bytes(b"\xff\xfe")
    assert _refused(tmp_path / "b.plan").startswith(
        f"{tmp_path / 'b.plan'}: not a cmqinfra saved plan ('utf-8' codec")
    assert saved._what(KeyError()) == "missing field"
    assert saved._what(ValueError()) == "ValueError"


def test_an_unreadable_or_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _refused(tmp_path / "none.plan") == (
        f"{tmp_path / 'none.plan'}: cannot read the saved plan: No such file or directory")
    (tmp_path / "big.plan").write_bytes(b"{" + b" " * (3 * 2**20) + b"}")
    monkeypatch.setattr(saved, "MAX_PLAN_FILE_BYTES", 2 * 2**20)
    assert _refused(tmp_path / "big.plan") == (
        f"{tmp_path / 'big.plan'}: not a cmqinfra saved plan (larger than 2 MB)")
    (tmp_path / "edge.plan").write_bytes(b"{" + b" " * (2 * 2**20 - 2) + b"}")
    assert "larger than" not in _refused(tmp_path / "edge.plan")


def test_an_unwritable_place_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(Failure) as refused:
        saved.write_plan_bytes(str(tmp_path / "no" / "p.plan"), b"{}")
    assert str(refused.value) == (
        f"cannot write the plan to {tmp_path / 'no' / 'p.plan'}: No such file or directory")


def test_the_expected_digest_is_checked_on_read(plan_file: Path) -> None:
    digest = seal.last_digest(str(plan_file))
    assert digest is not None
    assert saved.read_plan_bytes(str(plan_file), digest).startswith(b"{")
    with pytest.raises(Failure) as other:
        saved.read_plan_bytes(str(plan_file), "sha256:" + "0" * 64)
    assert str(other.value).startswith(f"{plan_file}: the plan's digest is {digest}, not the sha256:000")


def test_a_plan_file_that_never_ends_is_refused_after_the_bound(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # A FIFO (or a device) given as the plan file: only the bound plus one byte is ever read.
    import os
    import threading

    monkeypatch.setattr(saved, "MAX_PLAN_FILE_BYTES", 2**20)
    fifo = tmp_path / "endless.plan"
    os.mkfifo(fifo)
    release = threading.Event()

    def writer() -> None:
        with open(fifo, "wb") as out:
            out.write(b"{" + b" " * 2**20)  # the bound plus one byte, and the pipe stays open
            out.flush()
            release.wait(300)  # a reader that waits for the end hangs here: mutmut counts a timeout

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        assert _refused(fifo) == f"{fifo}: not a cmqinfra saved plan (larger than 1 MB)"
    finally:
        release.set()
        thread.join(5)
