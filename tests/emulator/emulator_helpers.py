"""Small helpers for emulator tests: call an action through the real SDK, expect an error code."""

from __future__ import annotations

from typing import Any

import pytest
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException


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
