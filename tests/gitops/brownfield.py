"""A brownfield account made with direct SDK calls: what a team has before cmqinfra."""

from __future__ import annotations

from typing import Any

from tencentcloud.tdmq.v20200217 import models

QUEUES = 60
TOPICS = 12
SUBS_PER_TOPIC = 3


def _call(client: Any, request_type: type, method: str, **params: Any) -> Any:
    req = request_type()
    for key, value in params.items():
        setattr(req, key, value)
    return getattr(client, method)(req)


def make_brownfield(client: Any) -> None:
    """60 queues (every 5th a dead letter for the next four, some tuned, some tagged), 12 topics
    (half routing, half tag), 36 subscriptions (queue and http, binding keys, filter tags)."""
    for i in range(QUEUES):
        params: dict[str, Any] = {"QueueName": f"legacy-q{i:02d}"}
        if i % 5 != 0:
            params.update(DeadLetterQueueName=f"legacy-q{i - i % 5:02d}", Policy=i % 2,
                          **({"MaxReceiveCount": 3 + i % 4} if i % 2 == 0 else {"MaxTimeToLive": 600}))
        if i % 3 == 0:
            params.update(VisibilityTimeout=60 + i, PollingWaitSeconds=i % 30)
        if i % 7 == 0:
            params.update(RewindSeconds=3600)
        if i % 4 == 0:
            params["Tags"] = [models.Tag()]
            params["Tags"][0].TagKey, params["Tags"][0].TagValue = "team", f"t{i % 3}"
        _call(client, models.CreateCmqQueueRequest, "CreateCmqQueue", **params)
    for t in range(TOPICS):
        routing = t % 2 == 0
        _call(client, models.CreateCmqTopicRequest, "CreateCmqTopic", TopicName=f"legacy-t{t:02d}",
              FilterType=2 if routing else 1, **({"MaxMsgSize": 32768} if t % 3 == 0 else {}))
        for s in range(SUBS_PER_TOPIC):
            params = {"TopicName": f"legacy-t{t:02d}", "SubscriptionName": f"sub-{s}"}
            if s == 2:
                params.update(Protocol="http", Endpoint=f"https://hooks.example.com/t{t}",
                              NotifyStrategy="BACKOFF_RETRY", NotifyContentFormat="JSON")
            else:
                params.update(Protocol="queue", Endpoint=f"legacy-q{(t * 3 + s) % QUEUES:02d}",
                              NotifyContentFormat="SIMPLIFIED")
            if routing and s != 1:
                params["BindingKey"] = [f"order.*.t{t}", "audit.#"]
            if not routing and s == 0:
                params["FilterTag"] = ["blue", f"t{t}"]
            _call(client, models.CreateCmqSubscribeRequest, "CreateCmqSubscribe", **params)
