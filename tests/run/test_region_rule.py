"""The region rule's pure part: which source wins, how each is worded, and what a tccli profile
file may hold (the CLI tests in tests/review/test_region.py drive the same through plan/apply)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmqinfra.run.region import RegionConflict, ResolvedRegion, resolve_region, tccli_profile_region


def test_the_manifest_wins_over_the_environment() -> None:
    got = resolve_region("ap-shanghai", None, cloud=True, env={"TENCENTCLOUD_REGION": "ap-guangzhou"})
    assert (got.name, got.source) == ("ap-shanghai", "manifest")
    assert got.describe() == "ap-shanghai (from the manifest)"


def test_a_flag_that_agrees_is_fine_and_one_that_disagrees_names_both() -> None:
    assert resolve_region("ap-shanghai", "ap-shanghai", cloud=False, env={}).source == "manifest"
    with pytest.raises(RegionConflict) as conflict:
        resolve_region("ap-shanghai", "ap-beijing", cloud=False, env={}, declared_by="environment")
    assert str(conflict.value) == (
        "--region ap-beijing disagrees with the environment's region ap-shanghai; "
        "the environment wins: drop --region, or change the environment"
    )


def test_an_environment_declared_region_is_described_by_its_declarer() -> None:
    got = resolve_region("ap-shanghai", None, cloud=False, env={}, declared_by="environment prod")
    assert got.describe() == "ap-shanghai (from environment prod)"
    assert ResolvedRegion("ap-x", "saved plan").describe() == "ap-x (from the saved plan)"


def test_then_the_flag_then_the_variable_then_the_profile_or_the_emulators_default(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    assert resolve_region(None, "ap-nanjing", cloud=True, env={"TENCENTCLOUD_REGION": "ap-x"}).describe() == (
        "ap-nanjing (from --region)")
    assert resolve_region(None, None, cloud=False, env={"TENCENTCLOUD_REGION": "ap-x"}).describe() == (
        "ap-x (from TENCENTCLOUD_REGION)")
    assert resolve_region(None, None, cloud=False, env={"TENCENTCLOUD_REGION": ""}).describe() == (
        "ap-guangzhou (from the emulator's default)")
    nowhere = resolve_region(None, None, cloud=True, env=env)
    assert (nowhere.name, nowhere.source, nowhere.describe()) == (None, "nowhere", "none")
    _profile(tmp_path, "ci", {"_sys_param": {"region": "ap-chengdu"}})
    named = resolve_region(None, None, cloud=True, env={**env, "TCCLI_PROFILE": "ci"})
    assert named.describe() == "ap-chengdu (from tccli profile ci)"


def _profile(home: Path, name: str, data: object) -> None:
    (home / ".tccli").mkdir(exist_ok=True)
    (home / ".tccli" / f"{name}.configure").write_text(json.dumps(data), encoding="utf-8")


def test_the_profile_named_by_tccli_profile_is_read_from_home(tmp_path: Path) -> None:
    _profile(tmp_path, "default", {"_sys_param": {"region": "ap-beijing"}})
    _profile(tmp_path, "ci", {"_sys_param": {"region": "ap-chengdu"}})
    assert tccli_profile_region({"HOME": str(tmp_path)}) == "ap-beijing"
    assert tccli_profile_region({"HOME": str(tmp_path), "TCCLI_PROFILE": ""}) == "ap-beijing"
    assert tccli_profile_region({"HOME": str(tmp_path), "TCCLI_PROFILE": "ci"}) == "ap-chengdu"
    assert tccli_profile_region({}, home=tmp_path) == "ap-beijing"


def test_an_older_profile_keeps_the_region_at_the_top_level(tmp_path: Path) -> None:
    _profile(tmp_path, "default", {"region": "ap-hongkong"})
    assert tccli_profile_region({"HOME": str(tmp_path)}) == "ap-hongkong"
    _profile(tmp_path, "default", {"_sys_param": {"region": "ap-beijing"}, "region": "ap-hongkong"})
    assert tccli_profile_region({"HOME": str(tmp_path)}) == "ap-beijing"
    _profile(tmp_path, "default", {"_sys_param": "not a table", "region": "ap-hongkong"})
    assert tccli_profile_region({"HOME": str(tmp_path)}) == "ap-hongkong"


@pytest.mark.parametrize("data", [[1, 2], {"_sys_param": {"region": ""}}, {"_sys_param": {"region": 7}}, {}])
def test_a_profile_without_a_usable_region_gives_none(tmp_path: Path, data: object) -> None:
    _profile(tmp_path, "default", data)
    assert tccli_profile_region({"HOME": str(tmp_path)}) is None


def test_a_missing_or_broken_profile_gives_none(tmp_path: Path) -> None:
    assert tccli_profile_region({"HOME": str(tmp_path)}) is None
    (tmp_path / ".tccli").mkdir()
    (tmp_path / ".tccli" / "default.configure").write_text("{not json")
    assert tccli_profile_region({"HOME": str(tmp_path)}) is None
