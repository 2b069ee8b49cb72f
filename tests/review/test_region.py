"""Region like Terraform's provider block: the manifest wins, flags must agree, the environment
and the tccli profile only fill in; every plan header says where the region came from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator
from cmqinfra.run.region import resolve_region
from tests.review.helpers import CallLog, run, start, write

SHANGHAI = """\
    stack: regional
    region: ap-shanghai
    queues:
      jobs: {}
"""
NO_REGION = """\
    stack: regional
    queues:
      jobs: {}
"""


@pytest.fixture
def shanghai(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield from start(tmp_path / "sh.sqlite3", region="ap-shanghai")


def test_environment_region_does_not_beat_the_manifest(
    shanghai: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CI recipes set TENCENTCLOUD_REGION for every job; a stack in ap-shanghai stays there.
    monkeypatch.setenv("TENCENTCLOUD_REGION", "ap-guangzhou")
    path = write(tmp_path / "s.yaml", SHANGHAI)
    out = run("plan", path, "--endpoint", shanghai.url)
    assert out.code == 0, out.output
    assert "region ap-shanghai from the manifest" in out.stdout
    applied = run("apply", path, "--endpoint", shanghai.url, "--auto-approve")
    assert applied.code == 0, applied.output
    doc = json.loads(run("plan", path, "--endpoint", shanghai.url, "--format", "json").stdout)
    assert (doc["region"], doc["region_source"]) == ("ap-shanghai", "manifest")


def test_environment_fills_in_when_the_manifest_has_no_region(
    shanghai: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENCENTCLOUD_REGION", "ap-shanghai")
    path = write(tmp_path / "s.yaml", NO_REGION)
    out = run("plan", path, "--endpoint", shanghai.url, "--format", "markdown")
    assert out.code == 0, out.output
    assert out.stdout.splitlines()[0] == (
        "## cmqinfra plan for stack `regional` in `ap-shanghai` (region from `TENCENTCLOUD_REGION`)"
    )


def test_region_flag_disagreeing_with_the_manifest_is_refused_before_any_call(
    emu: Emulator, calls: CallLog, tmp_path: Path
) -> None:
    path = write(tmp_path / "s.yaml", SHANGHAI)
    for command in (["plan"], ["apply", "--auto-approve"], ["destroy", "--auto-approve"]):
        out = run(*command, path, "--endpoint", emu.url, "--region", "ap-guangzhou")
        assert out.code == 1
        assert "--region ap-guangzhou disagrees with the manifest's region ap-shanghai" in out.stderr
        assert "Traceback" not in out.output
    assert calls.actions == []


def test_region_flag_agreeing_with_the_manifest_is_fine(shanghai: Emulator, tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", SHANGHAI)
    out = run("plan", path, "--endpoint", shanghai.url, "--region", "ap-shanghai")
    assert out.code == 0 and "region ap-shanghai from the manifest" in out.stdout


def test_tccli_profile_region_fills_in_for_the_cloud_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".tccli").mkdir(parents=True, exist_ok=True)
    (home / ".tccli" / "default.configure").write_text(json.dumps({"_sys_param": {"region": "ap-beijing"}}))
    env = {"HOME": str(home)}
    found = resolve_region(None, None, cloud=True, env=env)
    assert found.describe() == "ap-beijing (from tccli profile default)"
    assert resolve_region("ap-shanghai", None, cloud=True, env=env).name == "ap-shanghai"
    assert resolve_region(None, None, cloud=False, env=env).name == "ap-guangzhou"
    with_env = {**env, "TENCENTCLOUD_REGION": "ap-chengdu"}
    assert resolve_region(None, None, cloud=True, env=with_env).source == "TENCENTCLOUD_REGION"
    assert resolve_region(None, "ap-nanjing", cloud=True, env=with_env).source == "--region"
