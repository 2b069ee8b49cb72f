from __future__ import annotations

from collections.abc import Iterator

import pytest

from cmqinfra.cloud.target import Target
from cmqinfra.cloud.tdmq import TdmqApi
from cmqinfra.emulator import Emulator
from cmqinfra.run.targets import open_target as open_api


@pytest.fixture
def api(emulator: Emulator) -> Iterator[TdmqApi]:
    with open_api(Target.endpoint(emulator.url), emulator.region, parallelism=4, timeout=5) as connected:
        yield connected
