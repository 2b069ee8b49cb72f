"""The seal around a saved plan's bytes, byte for byte: what it writes, what it refuses and with
which words (the CLI tests in tests/security/test_sealed_plans.py drive the same through apply)."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from pathlib import Path

import pytest

from cmqinfra.run import seal
from cmqinfra.run.failure import Failure

PLAIN = b'{"kind": "cmqinfra-plan", "units": []}\n'
KEY = "k-0123456789"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _mac(key: str, data: bytes) -> str:
    return hmac.new(key.encode(), data, hashlib.sha256).hexdigest()


def test_the_seal_is_one_line_in_front_of_the_plans_own_bytes() -> None:
    sealed = seal.seal(PLAIN, None)
    head = f'{{"cmqinfra_seal": {{"version": 1, "sha256": "{_sha(PLAIN)}", "hmac_sha256": null}},'
    assert sealed == head.encode() + PLAIN[1:]
    doc = json.loads(sealed)  # still one JSON document
    assert doc["cmqinfra_seal"] == {"version": 1, "sha256": _sha(PLAIN), "hmac_sha256": None}
    assert doc["kind"] == "cmqinfra-plan"


def test_a_keyed_seal_carries_the_hmac_of_the_same_bytes() -> None:
    sealed = seal.seal(PLAIN, KEY)
    head = f'{{"cmqinfra_seal": {{"version": 1, "sha256": "{_sha(PLAIN)}", '
    head += f'"hmac_sha256": "{_mac(KEY, PLAIN)}"}},'
    assert sealed == head.encode() + PLAIN[1:]


def test_only_a_json_object_is_sealed() -> None:
    with pytest.raises(ValueError, match="^a sealed plan is a JSON object$"):
        seal.seal(b"[1]", None)


def test_unseal_gives_back_the_exact_bytes_and_the_seal() -> None:
    plain, found = seal.unseal(seal.seal(PLAIN, None), "p.plan", None, None)
    assert plain == PLAIN
    assert found == seal.Seal("sha256:" + _sha(PLAIN), False)
    plain, found = seal.unseal(seal.seal(PLAIN, KEY), "p.plan", KEY, f"  sha256:{_sha(PLAIN)} ")
    assert plain == PLAIN
    assert found == seal.Seal("sha256:" + _sha(PLAIN), True)


def test_a_keyed_plan_read_without_the_key_still_says_it_is_keyed() -> None:
    _plain, found = seal.unseal(seal.seal(PLAIN, KEY), "p.plan", None, None)
    assert found is not None and found.keyed


def test_an_unsealed_file_passes_only_when_nothing_asks_for_a_seal() -> None:
    assert seal.unseal(PLAIN, "p.plan", None, None) == (PLAIN, None)
    assert seal.unseal(PLAIN, "p.plan", None, "") == (PLAIN, None)
    with pytest.raises(Failure) as keyed:
        seal.unseal(PLAIN, "p.plan", KEY, None)
    assert str(keyed.value) == (
        "p.plan: the plan is not sealed, and CMQINFRA_PLAN_KEY is set; nothing was changed "
        "(make it with `cmqinfra plan --out`)"
    )
    with pytest.raises(Failure) as expected:
        seal.unseal(PLAIN, "p.plan", None, "sha256:00")
    assert str(expected.value) == (
        "p.plan: the plan is not sealed, and --expect-digest was given; nothing was changed "
        "(make it with `cmqinfra plan --out`)"
    )


def test_an_edit_after_sealing_is_refused() -> None:
    sealed = seal.seal(PLAIN, None).replace(b'"units": []', b'"units": [1]')
    with pytest.raises(Failure) as edited:
        seal.unseal(sealed, "p.plan", None, None)
    assert str(edited.value) == (
        "p.plan: the plan was changed after it was saved (its digest does not match); nothing was changed"
    )


def test_with_the_key_an_unkeyed_or_wrongly_keyed_seal_is_refused() -> None:
    with pytest.raises(Failure) as unkeyed:
        seal.unseal(seal.seal(PLAIN, None), "p.plan", KEY, None)
    assert str(unkeyed.value) == (
        "p.plan: the plan was saved without CMQINFRA_PLAN_KEY, and this run has it: it cannot be told "
        "apart from an edited plan; nothing was changed"
    )
    with pytest.raises(Failure) as other:
        seal.unseal(seal.seal(PLAIN, "another-key"), "p.plan", KEY, None)
    assert str(other.value) == (
        "p.plan: the plan's seal does not verify with CMQINFRA_PLAN_KEY: it was changed after it was "
        "saved, or saved with another key; nothing was changed"
    )


def test_another_expected_digest_is_refused_naming_both() -> None:
    digest = "sha256:" + _sha(PLAIN)
    other = "sha256:" + "0" * 64
    with pytest.raises(Failure) as wrong:
        seal.unseal(seal.seal(PLAIN, None), "p.plan", None, f" {other} ")
    assert str(wrong.value) == (
        f"p.plan: the plan's digest is {digest}, not the {other} that was expected (the reviewed plan); "
        "nothing was changed"
    )


def test_plan_key_is_none_unset_and_refused_set_but_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(seal.KEY_VARIABLE, raising=False)
    assert seal.plan_key() is None
    monkeypatch.setenv(seal.KEY_VARIABLE, KEY)
    assert seal.plan_key() == KEY
    monkeypatch.setenv(seal.KEY_VARIABLE, "  ")
    with pytest.raises(Failure) as empty:
        seal.plan_key()
    assert str(empty.value) == (
        "CMQINFRA_PLAN_KEY is set but empty (is the CI secret defined?); nothing was done")


def test_write_sealed_writes_0600_keyed_by_the_variable_and_returns_the_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "p.plan"
    target.write_text("old")
    target.chmod(0o644)
    monkeypatch.setenv(seal.KEY_VARIABLE, KEY)
    assert seal.write_sealed(target, PLAIN) == "sha256:" + _sha(PLAIN)
    assert target.read_bytes() == seal.seal(PLAIN, KEY)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["p.plan"]  # no scratch file left
    assert seal.last_digest(str(target)) == "sha256:" + _sha(PLAIN)


def test_a_failed_write_leaves_no_scratch_file(tmp_path: Path) -> None:
    (tmp_path / "p.plan").mkdir()  # replacing a directory with a file fails
    with pytest.raises(OSError):
        seal.write_private(tmp_path / "p.plan", PLAIN)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.plan"]


def test_a_relative_path_is_written_in_the_working_directory(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    seal.write_private("p.plan", PLAIN)
    assert (tmp_path / "p.plan").read_bytes() == PLAIN


def test_last_digest_of_an_unsealed_or_missing_file_is_none(tmp_path: Path) -> None:
    (tmp_path / "plain.plan").write_bytes(PLAIN)
    assert seal.last_digest(str(tmp_path / "plain.plan")) is None
    assert seal.last_digest(str(tmp_path / "missing.plan")) is None


def test_the_scratch_file_is_hidden_beside_the_target(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Beside it: the rename that puts the plan in place is atomic only within one file system.
    renamed: list[tuple[str, str]] = []
    real_replace = seal.os.replace

    def replace(src: str, dst: str) -> None:
        renamed.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(seal.os, "replace", replace)
    seal.write_private(tmp_path / "p.plan", PLAIN)
    ((scratch, target),) = renamed
    assert Path(scratch).parent == tmp_path and Path(scratch).name.startswith(".cmqinfra-plan-")
    assert target == str(tmp_path / "p.plan")
