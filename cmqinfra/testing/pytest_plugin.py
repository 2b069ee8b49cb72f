"""The ``cmq`` fixture: a fresh local CMQ for each test, over one emulator per test session.

Registered through the ``pytest11`` entry point, so installing cmqinfra is enough (no conftest).
It is loaded into every pytest run of an environment where cmqinfra is installed, so loading it
does nothing but declare two ini options and the fixtures: the emulator is imported and started
only when a test first asks for ``cmq``.

    [tool.pytest.ini_options]
    cmqinfra_manifests = ["infra/orders.yaml", "infra/events/"]   # applied once; every test starts there
    cmqinfra_region = "ap-guangzhou"                                 # when the manifests name none

    def test_order_flow(cmq):
        producer = Producer(cmq.endpoint, cmq.secret_id, cmq.secret_key)
        ...
        cmq.advance(30)                      # virtual time: no test sleeps
        assert [m.body for m in cmq.peek("orders")] == [...]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from cmqinfra.testing.local import LocalCmq

MANIFESTS_INI = "cmqinfra_manifests"
REGION_INI = "cmqinfra_region"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        MANIFESTS_INI,
        type="linelist",
        default=[],
        help="cmqinfra: manifests (files or stack directories, relative to the rootdir) applied to the "
        "local CMQ that every test's `cmq` fixture starts from.",
    )
    parser.addini(
        REGION_INI,
        type="string",
        default="",
        help="cmqinfra: the region the local CMQ serves (default: the manifests', else ap-guangzhou).",
    )


@pytest.fixture(scope="session")
def _cmqinfra_local_cmq(request: pytest.FixtureRequest) -> Iterator[LocalCmq]:
    from cmqinfra.testing.local import LocalCmqError, local_cmq

    config = request.config
    manifests = list(config.getini(MANIFESTS_INI))
    region = config.getini(REGION_INI) or None
    try:
        context = local_cmq(*manifests, region=region, root=config.rootpath)
        cmq = context.__enter__()
    except LocalCmqError as error:
        pytest.fail(f"{MANIFESTS_INI}: {error}", pytrace=False)
    try:
        yield cmq
    finally:
        context.__exit__(None, None, None)


@pytest.fixture
def cmq(_cmqinfra_local_cmq: LocalCmq) -> LocalCmq:
    """A local CMQ in the state of the ``cmqinfra_manifests``, with no messages: ``endpoint``,
    ``secret_id``, ``secret_key``, ``region``; ``apply``, ``advance``, ``peek``, ``reset``."""
    _cmqinfra_local_cmq._start_over()
    return _cmqinfra_local_cmq
