"""The in-process transport: the unmodified SDK's signed request handed to ``Emulator.handle``.

What ``--local`` and the test plugin's ``cmq.apply`` use. Each test holds it to the HTTP door
(same answer, same refusals), since only the socket and the server's parsing are skipped.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cmqinfra.emulator import Emulator, Faults, inprocess
from tests import sdk_clients


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Emulator]:
    """An emulator with no HTTP server, as ``--local`` starts it."""
    emu = Emulator.start(tmp_path / "local.sqlite3", rate_limits=False, serve_http=False)
    try:
        yield emu
    finally:
        emu.stop()


def _in_process(emu: Emulator, **keys: Any) -> Any:
    client = sdk_clients.tdmq(emu.endpoint, region=emu.region, **keys)
    inprocess.connect(client, emu)
    return client


def _call(client: Any, action: str, params: dict[str, Any]) -> dict[str, Any]:
    answer = json.loads(client.call(action, params))["Response"]
    answer.pop("RequestId")
    return answer


def test_the_sdk_gets_the_same_answers_in_process_as_over_http(emulator: Emulator) -> None:
    over_http = sdk_clients.tdmq(emulator.endpoint, region=emulator.region)
    in_process = _in_process(emulator)
    tags = [{"TagKey": "team", "TagValue": "a"}]
    _call(in_process, "CreateCmqQueue", {"QueueName": "orders", "Tags": tags})
    _call(over_http, "CreateCmqTopic", {"TopicName": "events"})
    for action, params in (("DescribeCmqQueues", {"Limit": 20}), ("DescribeCmqTopics", {"Limit": 20}),
                           ("DescribeCmqQueueDetail", {"QueueName": "missing"})):
        try:
            http_answer: Any = _call(over_http, action, params)
        except TencentCloudSDKException as error:
            http_answer = error.get_code()
        try:
            local_answer: Any = _call(in_process, action, params)
        except TencentCloudSDKException as error:
            local_answer = error.get_code()
        assert local_answer == http_answer
    assert emulator.call_counts()["CreateCmqQueue"] == 1  # counted like any other call


def test_the_embedded_emulator_opens_no_port(local: Emulator) -> None:
    assert not local.serves_http and local.port == 0
    with pytest.raises(OSError):  # its name resolves nowhere: a client sent over the network fails
        socket.getaddrinfo(local.endpoint, 80)
    assert _call(_in_process(local), "CreateCmqQueue", {"QueueName": "q"})["QueueId"]


def test_a_request_signed_with_another_key_is_refused_in_process(local: Emulator) -> None:
    with pytest.raises(TencentCloudSDKException) as refused:
        _call(_in_process(local, secret_key="not-the-key"), "DescribeCmqQueues", {"Limit": 20})
    assert refused.value.get_code() == "AuthFailure.SignatureFailure"
    assert local.call_counts() == {}


def test_a_dropped_connection_reaches_the_sdk_as_a_network_error(local: Emulator) -> None:
    local.faults = Faults(drop_connection_rate=1.0, seed=1)
    with pytest.raises(TencentCloudSDKException) as dropped:
        _call(_in_process(local), "CreateCmqQueue", {"QueueName": "q"})
    assert dropped.value.get_code() == "ClientNetworkError"
    local.faults = Faults()
    listed = _call(_in_process(local), "DescribeCmqQueues", {"Limit": 20})
    assert listed["TotalCount"] == 0  # the dropped create committed nothing


def test_an_unknown_action_is_refused_as_over_http(local: Emulator) -> None:
    client = _in_process(local)
    with pytest.raises(TencentCloudSDKException) as unknown:
        _call(client, "DescribeNothing", {})
    assert unknown.value.get_code() == "InvalidAction"
