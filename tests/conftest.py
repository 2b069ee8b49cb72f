"""Shared fixtures: a fresh emulator per test and real tencentcloud SDK clients pointed at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import Phase, settings
from tencentcloud.tag.v20180813 import tag_client as tag_module
from tencentcloud.tdmq.v20200217 import tdmq_client as tdmq_module

from cmqinfra.cloud.target import Target
from cmqinfra.cloud.tdmq import TdmqApi
from cmqinfra.emulator import Emulator
from cmqinfra.run.targets import open_target
from tests import sdk_clients

pytest_plugins = ["pytester"]  # the cmq fixture's tests run pytest on a project of their own

# In CI a property failure is reported as found: shrinking a large generated manifest can take
# many minutes, and the unshrunk example plus the printed blob are enough to replay it.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK honours HTTP_PROXY; the emulator is always on loopback.
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    """A fresh emulator on an ephemeral port; rate limits off unless a test turns them on."""
    emu = Emulator.start(tmp_path / "emulator.sqlite3", rate_limits=False)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def tdmq_client(emulator: Emulator) -> tdmq_module.TdmqClient:
    return sdk_clients.tdmq(emulator.endpoint, region=emulator.region)


@pytest.fixture
def tag_client(emulator: Emulator) -> tag_module.TagClient:
    return sdk_clients.tag(emulator.endpoint, region=emulator.region)


@pytest.fixture
def api(emulator: Emulator) -> Iterator[TdmqApi]:
    """cmqinfra's own adapter, connected to the test's emulator over HTTP."""
    with open_target(Target.endpoint(emulator.url), emulator.region, parallelism=4, timeout=5) as connected:
        yield connected
