"""One emulator carries a project of several regions: ``--endpoint URL`` or ``--local``, each
region's state apart, as the cloud keeps them."""

from __future__ import annotations

from pathlib import Path

from helpers import cmq, write
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator


def _queues(endpoint: str, region: str) -> set[str]:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint))
    client = CommonClient("tdmq", "2020-02-17", credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY),
                          region, profile)
    listed = client.call_json("DescribeCmqQueues", {"Limit": 50})["Response"]["QueueList"]
    return {q["QueueName"] for q in listed}


def _two_regions(root: Path) -> None:
    write(root, {
        "cmqinfra.yaml": """
            version: 1
            environments:
              dev: {region: ap-guangzhou, nameSuffix: -dev}
              prod: {region: ap-shanghai}
            stacks:
              orders: {path: stacks/orders}
            """,
        "stacks/orders/orders.yaml": "stack: orders\nqueues:\n  orders: {tags: {env: \"${env.name}\"}}\n",
    })


def test_one_endpoint_carries_a_project_of_two_regions(tmp_path: Path) -> None:
    _two_regions(tmp_path)
    emu = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=False)
    try:
        code, out, err = cmq(tmp_path, "plan", "--endpoint", emu.url, "--out", "p.plan")
        assert code == 0, err
        assert "UnsupportedRegion" not in out + err
        code, out, err = cmq(tmp_path, "apply", "--plan", "p.plan")
        assert code == 0, out + err
        assert _queues(emu.endpoint, "ap-guangzhou") == {"orders-dev"}
        assert _queues(emu.endpoint, "ap-shanghai") == {"orders"}
        assert (tmp_path / "emu-ap-shanghai.sqlite3").is_file()
        code, out, err = cmq(tmp_path, "plan", "--endpoint", emu.url, "--detailed-exitcode")
        assert code == 0, out + err
        # A tag change of an existing queue goes through the Tag service, to its own region.
        write(tmp_path, {"stacks/orders/orders.yaml":
                         "stack: orders\nqueues:\n  orders: {tags: {env: \"${env.name}\", team: t}}\n"})
        code, out, err = cmq(tmp_path, "apply", "--endpoint", emu.url, "--auto-approve")
        assert code == 0, out + err
        assert "Apply complete! Resources: 0 added, 2 changed, 0 destroyed across 2 stack(s)." in out
        code, out, err = cmq(tmp_path, "plan", "--endpoint", emu.url, "--detailed-exitcode")
        assert code == 0, out + err
    finally:
        emu.stop()


def test_local_carries_a_project_of_two_regions_and_keeps_each_region(tmp_path: Path) -> None:
    _two_regions(tmp_path)
    code, out, err = cmq(tmp_path, "apply", "--local", "--auto-approve")
    assert code == 0, out + err
    state = tmp_path / ".cmqinfra"
    assert (state / "emulator.sqlite3").is_file() and (state / "emulator-ap-shanghai.sqlite3").is_file()
    code, out, err = cmq(tmp_path, "plan", "--local", "--detailed-exitcode")
    assert code == 0, out + err  # both regions kept their state across runs
    # The single-stack --local of a region other than the default reads the same state.
    write(tmp_path / "alone", {"s.yaml": "stack: alone\nregion: ap-shanghai\nqueues:\n  solo: {}\n"})
    code, out, err = cmq(tmp_path, "apply", "--local", "--auto-approve", "alone/s.yaml")
    assert code == 0, out + err
    emu = Emulator.start(state / "emulator.sqlite3", rate_limits=False)
    try:
        assert _queues(emu.endpoint, "ap-shanghai") == {"orders", "solo"}
        assert _queues(emu.endpoint, "ap-guangzhou") == {"orders-dev"}
    finally:
        emu.stop()
