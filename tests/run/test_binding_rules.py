"""Where a plan was made, as recorded and compared: the pure part of binding a saved plan to its
target (the CLI tests in tests/review/test_binding.py refuse each mismatch through apply)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmqinfra.run.binding import (
    PlanTarget,
    account_mismatch,
    normal_endpoint,
    place_mismatch,
    region_mismatch,
    target_of,
)


@pytest.mark.parametrize(("given", "normal"), [
    ("127.0.0.1:9470", "http://127.0.0.1:9470"),
    ("http://127.0.0.1:9470/", "http://127.0.0.1:9470"),
    ("HTTP://LOCALHOST:9470/x", "http://localhost:9470"),
    ("http://emu.example", "http://emu.example:80"),
    ("https://emu.example", "https://emu.example:443"),
    ("http://[::1]:9470", "http://[::1]:9470"),
    ("://127.0.0.1:9", "http://:80"),  # no scheme and no host: plain http, and nothing made up
    ("http://", "http://:80"),  # no host: nothing is made up
])
def test_one_endpoint_has_one_spelling(given: str, normal: str) -> None:
    assert normal_endpoint(given) == normal


def test_each_kind_of_place_is_worded(tmp_path: Path) -> None:
    local = target_of(True, None, tmp_path, "ap-guangzhou")
    state = str((tmp_path / ".cmqinfra").resolve())
    assert local == PlanTarget("local", "ap-guangzhou", state_dir=state)
    assert local.workdir == tmp_path.resolve()
    assert local.describe() == f"the local emulator with state in {state}, region ap-guangzhou"
    assert PlanTarget("local", "ap-x").place() == "the local emulator"
    assert PlanTarget("local", "ap-x").workdir is None
    endpoint = target_of(False, "127.0.0.1:9", tmp_path, "ap-x")
    assert endpoint == PlanTarget("endpoint", "ap-x", endpoint="http://127.0.0.1:9")
    assert endpoint.describe() == "endpoint http://127.0.0.1:9, region ap-x"
    cloud = PlanTarget("cloud", "ap-x", account="100001")
    assert target_of(False, None, tmp_path, "ap-x") == PlanTarget("cloud", "ap-x")
    assert cloud.describe() == "Tencent Cloud, region ap-x, account 100001"


def test_a_target_survives_its_json() -> None:
    target = PlanTarget("endpoint", "ap-x", endpoint="http://127.0.0.1:9", state_dir="/s", account="7")
    data = target.to_json()
    assert data == {"kind": "endpoint", "region": "ap-x", "endpoint": "http://127.0.0.1:9",
                    "state_dir": "/s", "account": "7"}
    assert PlanTarget.from_json(data) == target
    assert PlanTarget.from_json({"kind": "cloud"}) == PlanTarget("cloud", None)
    with pytest.raises(ValueError, match="^unknown target kind 'ftp'$"):
        PlanTarget.from_json({"kind": "ftp"})


def test_mismatches_name_both_sides() -> None:
    planned = PlanTarget("endpoint", "ap-x", endpoint="http://127.0.0.1:9", account="7")
    assert place_mismatch(planned, PlanTarget("endpoint", "ap-y", endpoint="http://127.0.0.1:9")) is None
    assert place_mismatch(planned, PlanTarget("endpoint", "ap-x", endpoint="http://127.0.0.1:8")) == (
        "the plan was made against endpoint http://127.0.0.1:9, this run targets endpoint http://127.0.0.1:8")
    assert place_mismatch(PlanTarget("local", "a", state_dir="/a"), PlanTarget("local", "a", state_dir="/b"))
    assert place_mismatch(planned, PlanTarget("cloud", "ap-x", endpoint="http://127.0.0.1:9")) is not None
    assert region_mismatch(planned, None) is None
    assert region_mismatch(planned, "ap-x") is None
    assert region_mismatch(planned, "ap-y") == (
        "the plan was made for region ap-x, this run asks for --region ap-y")
    assert account_mismatch(planned, "7") is None
    assert account_mismatch(planned, "8") == (
        "the plan was made against account 7, these credentials belong to account 8")
    assert account_mismatch(PlanTarget("cloud", "ap-x"), None) is None
    assert account_mismatch(PlanTarget("cloud", "ap-x"), "8") == (
        "the plan was made against account unknown, these credentials belong to account 8")
    assert account_mismatch(planned, None) == (
        "the plan was made against account 7, these credentials belong to account unknown")
