"""Direct TDMQ SDK calls for the benchmark's own work (seeding an account, the per-resource
baseline): one typed SDK client per thread, as a multi-threaded SDK user would hold them."""

from __future__ import annotations

import json
import threading
from typing import Any

from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.tdmq.v20200217 import models, tdmq_client


class ThreadClients:
    """Calls ``action`` with ``params`` on the calling thread's own client."""

    def __init__(self, endpoint: str, secret_id: str, secret_key: str, region: str) -> None:
        self._endpoint = endpoint
        self._credential = credential.Credential(secret_id, secret_key)
        self._region = region
        self._local = threading.local()

    def call(self, action: str, params: dict[str, Any]) -> Any:
        request = getattr(models, f"{action}Request")()
        request.from_json_string(json.dumps(params))
        return getattr(self._client(), action)(request)

    def _client(self) -> tdmq_client.TdmqClient:
        client = getattr(self._local, "client", None)
        if client is None:
            profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=self._endpoint))
            client = self._local.client = tdmq_client.TdmqClient(self._credential, self._region, profile)
        return client
