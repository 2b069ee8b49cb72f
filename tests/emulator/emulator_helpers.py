"""Small helpers for emulator tests: call an action through the real SDK, expect an error code."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY


def call(client: Any, action: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call through the SDK's generic path and return the Response body."""
    return client.call_json(action, params or {})["Response"]


def expect_error(
    client: Any, action: str, params: dict[str, Any], code: str, field: str | None = None
) -> str:
    with pytest.raises(TencentCloudSDKException) as info:
        client.call_json(action, params)
    assert info.value.code == code, info.value
    assert info.value.requestId
    if field is not None:
        assert field in info.value.message
    return str(info.value.message)


# --------------------------------------------------------------------- raw HTTP (what the SDK can't send)


@dataclass(frozen=True)
class RawResponse:
    status: int
    content_type: str
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    *,
    method: str,
    host: str,
    content_type: str,
    body: bytes,
    timestamp: int,
    service: str = "tdmq",
    query: str = "",
) -> str:
    """An independent TC3-HMAC-SHA256 signer written from the API 3.0 documentation."""
    date = datetime.fromtimestamp(timestamp, tz=timezone.utc).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            method,
            "/",
            query,
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    key = mac(mac(mac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, "
        f"Signature={signature}"
    )


def raw_request(
    endpoint: str,
    action: str,
    body: bytes = b"{}",
    *,
    method: str = "POST",
    content_type: str = "application/json",
    secret_id: str = DEFAULT_SECRET_ID,
    secret_key: str = DEFAULT_SECRET_KEY,
    timestamp: int | None = None,
    version: str = "2020-02-17",
    service: str = "tdmq",
    authorization: str | None = None,
    region: str | None = "ap-guangzhou",
    extra_headers: dict[str, str] | None = None,
    timeout: float = 10,
    query: str = "",
) -> RawResponse:
    host, port = endpoint.split(":")
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Host": endpoint,
        "Content-Type": content_type,
        "X-TC-Action": action,
        "X-TC-Version": version,
        "X-TC-Timestamp": str(stamp),
    }
    if region:
        headers["X-TC-Region"] = region
    headers["Authorization"] = authorization or tc3_authorization(
        secret_id,
        secret_key,
        method=method,
        host=endpoint,
        content_type=content_type,
        body=body,
        timestamp=stamp,
        service=service,
        query=query,
    )
    headers.update(extra_headers or {})
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        path = f"/?{query}" if query else "/"
        conn.request(method, path, body=body if method != "GET" else None, headers=headers)
        response = conn.getresponse()
        return RawResponse(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        conn.close()
