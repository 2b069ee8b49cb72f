"""Create a workload's resources with direct SDK calls: the state ``apply`` would leave behind.

Used to measure ``plan`` and the baseline without depending on ``apply`` (and by the smoke
test). Resources carry the stack's ownership tag, so cmqinfra sees them as its own.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from benchmarks.sdk_calls import ThreadClients
from benchmarks.workload import Workload, manifest_documents


@dataclass(frozen=True)
class Call:
    action: str
    params: dict[str, Any]


def _tags(spec: dict[str, Any], stack: str) -> list[dict[str, str]]:
    tags = {**spec.get("tags", {}), "cmqinfra-stack": stack}
    return [{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())]


def levels_of(workload: Workload) -> list[list[Call]]:
    docs = manifest_documents(workload)
    queues: dict[str, Any] = docs["queues.yaml"]["queues"]
    topics: dict[str, Any] = docs["topics.yaml"]["topics"]
    first: list[Call] = []
    second: list[Call] = []
    for name, spec in queues.items():
        params: dict[str, Any] = {"QueueName": name, "Tags": _tags(spec, workload.stack)}
        for key in ("visibilityTimeout", "msgRetentionSeconds"):
            if key in spec:
                params[key[0].upper() + key[1:]] = spec[key]
        if "deadLetter" in spec:
            dead = spec["deadLetter"]
            params.update(
                DeadLetterQueueName=dead["queue"], Policy=0, MaxReceiveCount=dead["maxReceiveCount"]
            )
            second.append(Call("CreateCmqQueue", params))
        else:
            first.append(Call("CreateCmqQueue", params))
    subscriptions: list[Call] = []
    for name, spec in topics.items():
        first.append(
            Call(
                "CreateCmqTopic",
                {
                    "TopicName": name,
                    "FilterType": 2 if spec["filterType"] == "routingKey" else 1,
                    "Tags": _tags(spec, workload.stack),
                },
            )
        )
        for sub_name, sub in spec["subscriptions"].items():
            params = {
                "TopicName": name,
                "SubscriptionName": sub_name,
                "Protocol": "queue",
                "Endpoint": sub["endpoint"],
            }
            if "bindingKeys" in sub:
                params["BindingKey"] = sub["bindingKeys"]
            if "filterTags" in sub:
                params["FilterTag"] = sub["filterTags"]
            subscriptions.append(Call("CreateCmqSubscribe", params))
    return [first, second, subscriptions]


def seed(
    workload: Workload, endpoint: str, secret_id: str, secret_key: str, region: str, threads: int = 8
) -> None:
    clients = ThreadClients(endpoint, secret_id, secret_key, region)

    def run(call: Call) -> None:
        for attempt in range(30):
            try:
                clients.call(call.action, call.params)
                return
            except TencentCloudSDKException as exc:
                if not str(exc.code).startswith("RequestLimitExceeded"):
                    raise
                time.sleep(min(0.5, 0.01 * 2**attempt))
        raise RuntimeError(f"{call.action} kept being throttled")

    with ThreadPoolExecutor(threads) as pool:
        for level in levels_of(workload):
            for future in [pool.submit(run, call) for call in level]:
                future.result()
