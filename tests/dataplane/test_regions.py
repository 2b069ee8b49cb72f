"""The message door serves every region: the unmodified CMQ SDK picks one by the host it is given,
as it does with the service's hosts (cmq-sh.…, cmq-queue-gz.…, sh.mqadapter.…).

``*.localhost`` names are loopback (RFC 6761); where the resolver does not say so (glibc without
nss-myhostname), the test resolves them itself, as /etc/hosts or a container alias would.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from cmq.account import Account
from cmq.queue import Message

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from cmqinfra.emulator.cmq_door import host_region

from .conftest import cmq_code, make_queue


@pytest.fixture(autouse=True)
def _localhost_names_are_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def emu(tmp_path: Any) -> Iterator[Emulator]:
    emulator = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False, region="ap-guangzhou")
    try:
        yield emulator
    finally:
        emulator.stop()


def _account(emu: Emulator, host: str) -> Account:
    return Account(f"http://{host}:{emu.port}", DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)


def test_each_region_has_its_own_queues_and_messages(emu: Emulator) -> None:
    gz, sh = _account(emu, "cmq-gz.localhost"), _account(emu, "cmq-sh.localhost")
    plain = Account(emu.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)  # 127.0.0.1: the first region
    make_queue(gz, "orders")
    make_queue(sh, "orders")
    gz.get_queue("orders").send_message(Message("for guangzhou"))
    sh.get_queue("orders").send_message(Message("for shanghai"))
    assert sh.get_queue("orders").receive_message(0).msgBody == "for shanghai"
    assert cmq_code(sh.get_queue("orders").receive_message, 0) == 7000  # only its own message
    assert plain.get_queue("orders").receive_message(0).msgBody == "for guangzhou"
    make_queue(sh, "only-in-shanghai")
    assert cmq_code(gz.get_queue("only-in-shanghai").send_message, Message("x")) == 4440
    assert emu.regions == ("ap-guangzhou", "ap-shanghai")
    # The API 3.0 door sees the same state per region.
    assert emu.backend_for("ap-shanghai").counts("only-in-shanghai").active == 0  # type: ignore[union-attr]


def test_a_host_that_names_no_region_is_the_first_region(emu: Emulator) -> None:
    make_queue(_account(emu, "cmq-my-app.localhost"), "orders")  # a container alias, say
    _account(emu, "cmq-gz.localhost").get_queue("orders").send_message(Message("x"))
    assert emu.regions == ("ap-guangzhou",)


@pytest.mark.parametrize(
    ("host", "region"),
    [
        ("cmq-sh.public.tencenttdmq.com", "ap-shanghai"),
        ("cmq-queue-gz.api.qcloud.com", "ap-guangzhou"),
        ("cmq-topic-usw.api.tencentyun.com:80", "na-siliconvalley"),
        ("bj.mqadapter.cmq.tencentyun.com", "ap-beijing"),
        ("cmq-ap-singapore.localhost:9000", "ap-singapore"),
        ("CMQ-SHJR.localhost", "ap-shanghai-fsi"),
        ("127.0.0.1:29470", ""),
        ("localhost", ""),
        ("[::1]:29470", ""),
        ("cmq-.localhost", ""),
        ("cmq-x.localhost", ""),
        ("cmq-my-app", ""),
        ("cmq-sh", "ap-shanghai"),  # a container alias
        ("cmq-na-ashburn.example", "na-ashburn"),
    ],
)
def test_host_region(host: str, region: str) -> None:
    assert host_region(host) == region
