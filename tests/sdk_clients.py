"""The one way tests build an unmodified tencentcloud SDK client for an emulator endpoint."""

from __future__ import annotations

from typing import Any

from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.tag.v20180813 import tag_client
from tencentcloud.tdmq.v20200217 import tdmq_client

from cmqinfra.emulator import DEFAULT_REGION, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY


def profile(endpoint: str, *, method: str = "POST", timeout: int = 10) -> ClientProfile:
    """Plain HTTP to ``host:port`` (a leading ``http://`` is dropped, as the SDK wants a host)."""
    host = endpoint.removeprefix("http://")
    return ClientProfile(
        httpProfile=HttpProfile(protocol="http", endpoint=host, reqMethod=method, reqTimeout=timeout)
    )


def _credential(secret_id: str, secret_key: str) -> credential.Credential:
    return credential.Credential(secret_id, secret_key)


def tdmq(
    endpoint: str,
    *,
    region: str = DEFAULT_REGION,
    secret_id: str = DEFAULT_SECRET_ID,
    secret_key: str = DEFAULT_SECRET_KEY,
    method: str = "POST",
    timeout: int = 10,
) -> tdmq_client.TdmqClient:
    return tdmq_client.TdmqClient(
        _credential(secret_id, secret_key), region, profile(endpoint, method=method, timeout=timeout)
    )


def tag(endpoint: str, *, region: str = DEFAULT_REGION, method: str = "POST") -> tag_client.TagClient:
    return tag_client.TagClient(
        _credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY), region, profile(endpoint, method=method)
    )


def common(endpoint: str, service: str, version: str, *, region: str = DEFAULT_REGION) -> CommonClient:
    """The SDK's generic client, for calls no typed client has."""
    return CommonClient(
        service, version, _credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY), region, profile(endpoint)
    )


def queue_names(client: Any) -> list[str]:
    """Every queue name in the account, page by page (DescribeCmqQueues, 50 a page)."""
    result: list[str] = []
    while True:
        page = client.call_json("DescribeCmqQueues", {"Offset": len(result), "Limit": 50})["Response"]
        result += [q["QueueName"] for q in page["QueueList"]]
        if len(result) >= page["TotalCount"]:
            return result
