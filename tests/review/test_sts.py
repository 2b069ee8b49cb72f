"""The emulator answers STS GetCallerIdentity (the official SDK client) with its configured account."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sts.v20180813 import models, sts_client

from cmqinfra.emulator import DEFAULT_ACCOUNT_ID, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from tests.review.helpers import start


def identity(endpoint: str):  # type: ignore[no-untyped-def]
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=endpoint, reqTimeout=10))
    client = sts_client.StsClient(credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY), "", profile)
    return client.GetCallerIdentity(models.GetCallerIdentityRequest())


def test_default_account(emu: Emulator) -> None:
    answer = identity(emu.endpoint)
    assert (answer.AccountId, answer.UserId) == (DEFAULT_ACCOUNT_ID, DEFAULT_ACCOUNT_ID)
    assert answer.Type == "RootAccount"
    assert answer.Arn == f"qcs::cam::uin/{DEFAULT_ACCOUNT_ID}:uin/{DEFAULT_ACCOUNT_ID}"


def test_configured_account(tmp_path: Path) -> None:
    for emu in start(tmp_path / "e.sqlite3", account_id="700000000007"):
        assert identity(emu.endpoint).AccountId == "700000000007"


def test_the_emulator_command_takes_an_account(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", "--data", str(tmp_path / "e.sqlite3"),
         "--account-id", "300000000003"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        assert identity(line.removeprefix("listening on http://")).AccountId == "300000000003"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
