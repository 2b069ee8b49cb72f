"""Wire protocol: signing, envelopes, content types, parameter checking, abuse. Real SDK where it can."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import pytest
from emulator_helpers import call, expect_error, raw_request
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.tdmq.v20200217 import models, tdmq_client

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from tests import sdk_clients


def sdk(
    emu: Emulator,
    secret_id: str = DEFAULT_SECRET_ID,
    secret_key: str = DEFAULT_SECRET_KEY,
    method: str = "POST",
    endpoint: str | None = None,
) -> tdmq_client.TdmqClient:
    return sdk_clients.tdmq(
        endpoint or emu.endpoint, region=emu.region, secret_id=secret_id, secret_key=secret_key, method=method
    )


def test_success_envelope_has_exact_content_type_and_uuid_request_id(emulator: Emulator) -> None:
    response = raw_request(emulator.endpoint, "DescribeCmqQueues")
    assert response.status == 200
    assert response.content_type == "application/json"
    body = response.json()["Response"]
    assert body["TotalCount"] == 0 and body["QueueList"] == []
    assert len(body["RequestId"]) == 36 and body["RequestId"].count("-") == 4


def test_error_envelope_shape(emulator: Emulator) -> None:
    response = raw_request(emulator.endpoint, "NoSuchThing")
    assert response.status == 200 and response.content_type == "application/json"
    envelope = response.json()["Response"]
    assert envelope["Error"]["Code"] == "InvalidAction"
    assert "NoSuchThing" in envelope["Error"]["Message"]
    assert envelope["RequestId"]


def test_wrong_signature_is_signature_failure(emulator: Emulator) -> None:
    expect_error(
        sdk(emulator, secret_key="not-the-key"), "DescribeCmqQueues", {}, "AuthFailure.SignatureFailure"
    )


def test_unknown_secret_id(emulator: Emulator) -> None:
    expect_error(
        sdk(emulator, secret_id="AKIDsomebodyelse"), "DescribeCmqQueues", {}, "AuthFailure.SecretIdNotFound"
    )


def test_clock_skew_over_five_minutes_is_signature_expire(emulator: Emulator) -> None:
    stale = raw_request(emulator.endpoint, "DescribeCmqQueues", timestamp=int(time.time()) - 301)
    assert stale.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureExpire"
    future = raw_request(emulator.endpoint, "DescribeCmqQueues", timestamp=int(time.time()) + 400)
    assert future.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureExpire"
    within = raw_request(emulator.endpoint, "DescribeCmqQueues", timestamp=int(time.time()) - 200)
    assert "Error" not in within.json()["Response"]


@pytest.mark.parametrize("authorization", ["", "Basic abc", "TC3-HMAC-SHA256 Credential=x", "garbage " * 50])
def test_malformed_authorization(emulator: Emulator, authorization: str) -> None:
    response = raw_request(emulator.endpoint, "DescribeCmqQueues", authorization=authorization or " ")
    assert response.json()["Response"]["Error"]["Code"] == "AuthFailure.InvalidAuthorization"


def test_tampered_body_fails_signature(emulator: Emulator) -> None:
    from emulator_helpers import tc3_authorization

    stamp = int(time.time())
    auth = tc3_authorization(
        DEFAULT_SECRET_ID,
        DEFAULT_SECRET_KEY,
        method="POST",
        host=emulator.endpoint,
        content_type="application/json",
        body=b"{}",
        timestamp=stamp,
    )
    response = raw_request(
        emulator.endpoint, "CreateCmqQueue", b'{"QueueName": "evil"}', authorization=auth, timestamp=stamp
    )
    assert response.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert call(sdk(emulator), "DescribeCmqQueues")["TotalCount"] == 0


def test_signature_uses_host_header_verbatim(emulator: Emulator) -> None:
    # With the scheme in the endpoint the SDK sends (and signs) "Host: http://127.0.0.1:PORT".
    client = sdk(emulator, endpoint=emulator.url)
    assert call(client, "DescribeCmqQueues")["TotalCount"] == 0


def test_get_requests_with_flattened_query_parameters(emulator: Emulator) -> None:
    client = sdk(emulator, method="GET")
    request = models.CreateCmqQueueRequest()
    request.QueueName = "via-get"
    request.Trace = True
    tag = models.Tag()
    tag.TagKey, tag.TagValue = "team", "a b&c"
    request.Tags = [tag]
    client.CreateCmqQueue(request)
    detail = call(client, "DescribeCmqQueueDetail", {"QueueName": "via-get"})["QueueDescribe"]
    assert detail["Trace"] is True
    assert detail["Tags"] == [{"TagKey": "team", "TagValue": "a b&c"}]


def test_get_requests_with_list_and_filter_parameters(emulator: Emulator) -> None:
    post, get = sdk(emulator), sdk(emulator, method="GET")
    for name in ("a1", "a2", "b1"):
        call(post, "CreateCmqQueue", {"QueueName": name, "Tags": [{"TagKey": "k", "TagValue": name[0]}]})
    request = models.DescribeCmqQueuesRequest()
    request.QueueNameList = ["a1", "b1"]
    assert {q.QueueName for q in get.DescribeCmqQueues(request).QueueList} == {"a1", "b1"}
    request = models.DescribeCmqQueuesRequest()
    request.IsTagFilter = True
    tag_filter = models.Filter()
    tag_filter.Name, tag_filter.Values = "tag:k", ["a"]
    request.Filters = [tag_filter]
    response = get.DescribeCmqQueues(request)
    assert response.TotalCount == 2 and {q.QueueName for q in response.QueueList} == {"a1", "a2"}


def test_unknown_missing_and_mistyped_parameters(tdmq_client: Any) -> None:
    expect_error(
        tdmq_client, "CreateCmqQueue", {"QueueName": "q", "Colour": "red"}, "UnknownParameter", "Colour"
    )
    expect_error(tdmq_client, "CreateCmqQueue", {}, "MissingParameter", "QueueName")
    expect_error(tdmq_client, "CreateCmqQueue", {"QueueName": 7}, "InvalidParameter", "QueueName")
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "q", "VisibilityTimeout": "30"},
        "InvalidParameter",
        "VisibilityTimeout",
    )
    expect_error(tdmq_client, "CreateCmqQueue", {"QueueName": "q", "Trace": 1}, "InvalidParameter", "Trace")
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "q", "PollingWaitSeconds": True},
        "InvalidParameter",
        "PollingWaitSeconds",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "q", "VisibilityTimeout": -1},
        "InvalidParameterValue",
        "VisibilityTimeout",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "q", "Tags": [{"TagKey": "k"}]},
        "MissingParameter",
        "Tags.0.TagValue",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "q", "Tags": [{"TagKey": "k", "TagValue": "v", "X": 1}]},
        "UnknownParameter",
        "Tags.0.X",
    )
    expect_error(tdmq_client, "CreateCmqQueue", {"QueueName": "q", "Tags": "k=v"}, "InvalidParameter", "Tags")
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "q", "FirstQueryInterval": 2**64},
        "InvalidParameterValue",
        "FirstQueryInterval",
    )
    assert call(tdmq_client, "DescribeCmqQueues")["TotalCount"] == 0


def test_unknown_action_and_wrong_version(emulator: Emulator) -> None:
    client = sdk_clients.common(emulator.endpoint, "tdmq", "2020-02-17", region=emulator.region)
    expect_error(client, "DescribeCmqDeadLetterSourceQueues", {}, "InvalidAction")
    expect_error(client, "ModifyResourceTags", {"Resource": "x"}, "InvalidAction")  # a tag action, tdmq scope
    old = raw_request(emulator.endpoint, "DescribeCmqQueues", version="2019-03-04")
    assert old.json()["Response"]["Error"]["Code"] == "NoSuchVersion"


def test_every_region_is_served_apart_and_a_region_must_be_named(emulator: Emulator) -> None:
    here = sdk_clients.common(emulator.endpoint, "tdmq", "2020-02-17", region=emulator.region)
    there = sdk_clients.common(emulator.endpoint, "tdmq", "2020-02-17", region="ap-beijing")
    call(there, "CreateCmqQueue", {"QueueName": "only-in-beijing"})
    assert [q["QueueName"] for q in call(there, "DescribeCmqQueues")["QueueList"]] == ["only-in-beijing"]
    assert call(here, "DescribeCmqQueues")["TotalCount"] == 0  # state is kept per region
    assert emulator.regions == (emulator.region, "ap-beijing")
    for bad in ("../../etc", "AP-BEIJING", "x" * 60):
        other = raw_request(emulator.endpoint, "DescribeCmqQueues", region=bad)
        assert other.json()["Response"]["Error"]["Code"] == "UnsupportedRegion"
    assert emulator.regions == (emulator.region, "ap-beijing")  # no state opened for a bad name
    missing = raw_request(emulator.endpoint, "DescribeCmqQueues", region=None)
    assert missing.json()["Response"]["Error"]["Code"] == "MissingParameter"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"', b"null"])
def test_malformed_bodies_get_an_envelope(emulator: Emulator, body: bytes) -> None:
    response = raw_request(emulator.endpoint, "CreateCmqQueue", body)
    assert response.content_type == "application/json"
    assert response.json()["Response"]["Error"]["Code"] == "InvalidParameter"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
def test_wrong_content_types_get_an_envelope(emulator: Emulator, content_type: str) -> None:
    response = raw_request(emulator.endpoint, "DescribeCmqQueues", content_type=content_type)
    assert response.json()["Response"]["Error"]["Code"] == "InvalidParameter"
    assert content_type in response.json()["Response"]["Error"]["Message"]


def test_huge_body_is_refused_without_reading_it(emulator: Emulator) -> None:
    body = b'{"QueueName": "' + b"a" * (10 * 1024 * 1024 + 10) + b'"}'
    response = raw_request(emulator.endpoint, "CreateCmqQueue", body)
    assert response.json()["Response"]["Error"]["Code"] == "RequestSizeLimitExceeded"
    assert raw_request(emulator.endpoint, "DescribeCmqQueues").status == 200


def test_unsupported_method(emulator: Emulator) -> None:
    response = raw_request(emulator.endpoint, "DescribeCmqQueues", method="PUT")
    assert response.json()["Response"]["Error"]["Code"] == "UnsupportedProtocol"


def test_garbage_on_the_socket_does_not_take_the_server_down(emulator: Emulator) -> None:
    for payload in (
        b"\x00\x01\x02garbage\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 50\r\n\r\n{",
        b"GET /" + b"x" * 70000 + b" HTTP/1.1\r\n\r\n",
    ):
        with socket.create_connection((emulator.host, emulator.port), timeout=5) as sock:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            try:
                sock.recv(65536)
            except OSError:
                pass
    assert raw_request(emulator.endpoint, "DescribeCmqQueues").status == 200


def test_many_concurrent_clients(emulator: Emulator) -> None:
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            client = sdk(emulator)
            for round_ in range(5):
                call(client, "CreateCmqQueue", {"QueueName": f"c{index}-{round_}"})
                call(client, "DescribeCmqQueues", {"Limit": 50})
            bad = raw_request(emulator.endpoint, "CreateCmqQueue", b"{oops")
            assert bad.json()["Response"]["Error"]["Code"] == "InvalidParameter"
        except BaseException as exc:  # noqa: BLE001 - collected and re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[0]
    assert call(sdk(emulator), "DescribeCmqQueues")["TotalCount"] == 80


def test_sdk_error_carries_request_id(tdmq_client: Any) -> None:
    with pytest.raises(TencentCloudSDKException) as info:
        tdmq_client.call_json("DescribeCmqQueueDetail", {"QueueName": "absent"})
    assert info.value.code == "ResourceNotFound"
    assert len(info.value.requestId) == 36


def test_responses_are_valid_json_with_request_id(emulator: Emulator) -> None:
    body = json.loads(raw_request(emulator.endpoint, "DescribeCmqTopics").body)
    assert set(body) == {"Response"}
    assert set(body["Response"]) == {"TopicList", "TotalCount", "RequestId"}
