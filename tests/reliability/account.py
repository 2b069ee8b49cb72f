"""Everything in the emulator's account, read through the real SDK over HTTP.

This reader is deliberately independent of cmqinfra's own adapter: it is the oracle the
reliability tests judge the adapter by, so it shares none of its code. It reads every queue,
topic and subscription (not only the stack's), so it also sees duplicates and resources that
should not have been touched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.tdmq.v20200217 import models, tdmq_client

from tests import sdk_clients

from .reference import fields

PAGE = 50


@dataclass(frozen=True)
class LiveQueueRecord:
    name: str
    queue_id: str
    attributes: tuple[tuple[str, object], ...]  # API field name -> value, as returned
    dead_letter: tuple[str, int, int | None, int | None] | None  # (queue, policy, maxReceive, ttl)
    transaction: tuple[int, int] | None  # (firstQueryInterval, maxQueryCount) when a transaction queue
    tags: tuple[tuple[str, str], ...]
    last_modify: int | None

    def attribute(self, api_field: str) -> object:
        return dict(self.attributes).get(api_field)


@dataclass(frozen=True)
class LiveTopicRecord:
    name: str
    topic_id: str
    filter_type: int | None
    attributes: tuple[tuple[str, object], ...]
    tags: tuple[tuple[str, str], ...]
    last_modify: int | None

    def attribute(self, api_field: str) -> object:
        return dict(self.attributes).get(api_field)


@dataclass(frozen=True)
class LiveSubscriptionRecord:
    topic: str
    name: str
    subscription_id: str
    protocol: str | None
    endpoint: str | None
    notify_strategy: str | None
    notify_content_format: str | None
    filter_tags: tuple[str, ...]
    binding_keys: tuple[str, ...]
    last_modify: int | None


@dataclass(frozen=True)
class Account:
    queues: tuple[LiveQueueRecord, ...]
    topics: tuple[LiveTopicRecord, ...]
    subscriptions: tuple[LiveSubscriptionRecord, ...]


# Message counts move on their own; every other scalar field the reference documents is read.
_MOVING = frozenset(
    {"ActiveMsgNum", "InactiveMsgNum", "DelayMsgNum", "RewindMsgNum", "MinMsgTime", "MsgCount"}
)


def _scalars(item: object, obj: str) -> tuple[tuple[str, object], ...]:
    """Every documented scalar field of an SDK object, by the reference's field names."""
    out = []
    for name in fields(obj):
        value = getattr(item, name, None)
        if name not in _MOVING and (value is None or isinstance(value, (bool, int, float, str))):
            out.append((name, value))
    return tuple(out)


def client(endpoint: str, secret_id: str, secret_key: str, timeout: int = 10) -> tdmq_client.TdmqClient:
    """A TdmqClient for an ``host:port`` (or ``http://host:port``) endpoint, plain HTTP."""
    return sdk_clients.tdmq(endpoint, secret_id=secret_id, secret_key=secret_key, timeout=timeout)


def _tags(raw: object) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((t.TagKey, t.TagValue) for t in (raw or [])))  # type: ignore[union-attr]


def read_account(api: tdmq_client.TdmqClient, attempts: int = 5) -> Account:
    """A consistent snapshot: if a topic vanishes between listing it and listing its
    subscriptions (a killed client's last call still finishing on the server), read again."""
    for attempt in range(attempts):
        try:
            return _read_once(api)
        except TencentCloudSDKException as error:
            if error.code != "ResourceNotFound.Topic" or attempt == attempts - 1:
                raise
            time.sleep(0.2)
    raise AssertionError("unreachable")


def _read_once(api: tdmq_client.TdmqClient) -> Account:
    queues: list[LiveQueueRecord] = []
    offset = 0
    while True:
        req = models.DescribeCmqQueuesRequest()
        req.Offset, req.Limit = offset, PAGE
        resp = api.DescribeCmqQueues(req)
        for q in resp.QueueList or []:
            dl = q.DeadLetterPolicy
            txn = q.TransactionPolicy if q.Transaction else None
            queues.append(
                LiveQueueRecord(
                    name=q.QueueName,
                    queue_id=q.QueueId,
                    attributes=_scalars(q, "CmqQueue"),
                    dead_letter=(dl.DeadLetterQueue, dl.Policy, dl.MaxReceiveCount, dl.MaxTimeToLive)
                    if dl is not None and dl.DeadLetterQueue
                    else None,
                    transaction=(txn.FirstQueryInterval, txn.MaxQueryCount)
                    if txn is not None
                    else ((0, 0) if q.Transaction else None),
                    tags=_tags(q.Tags),
                    last_modify=q.LastModifyTime,
                )
            )
        offset += PAGE
        if offset >= (resp.TotalCount or 0) or not resp.QueueList:
            break

    topics: list[LiveTopicRecord] = []
    offset = 0
    while True:
        treq = models.DescribeCmqTopicsRequest()
        treq.Offset, treq.Limit = offset, PAGE
        tresp = api.DescribeCmqTopics(treq)
        for t in tresp.TopicList or []:
            topics.append(
                LiveTopicRecord(
                    name=t.TopicName,
                    topic_id=t.TopicId,
                    filter_type=t.FilterType,
                    attributes=_scalars(t, "CmqTopic"),
                    tags=_tags(t.Tags),
                    last_modify=t.LastModifyTime,
                )
            )
        offset += PAGE
        if offset >= (tresp.TotalCount or 0) or not tresp.TopicList:
            break

    subs: list[LiveSubscriptionRecord] = []
    for t in topics:
        offset = 0
        while True:
            sreq = models.DescribeCmqSubscriptionDetailRequest()
            sreq.TopicName, sreq.Offset, sreq.Limit = t.name, offset, PAGE
            sresp = api.DescribeCmqSubscriptionDetail(sreq)
            for s in sresp.SubscriptionSet or []:
                subs.append(
                    LiveSubscriptionRecord(
                        topic=t.name,
                        name=s.SubscriptionName,
                        subscription_id=s.SubscriptionId,
                        protocol=s.Protocol,
                        endpoint=s.Endpoint,
                        notify_strategy=s.NotifyStrategy,
                        notify_content_format=s.NotifyContentFormat,
                        filter_tags=tuple(sorted(s.FilterTags or [])),
                        binding_keys=tuple(sorted(s.BindingKey or [])),
                        last_modify=s.LastModifyTime,
                    )
                )
            offset += PAGE
            if offset >= (sresp.TotalCount or 0) or not sresp.SubscriptionSet:
                break
    return Account(queues=tuple(queues), topics=tuple(topics), subscriptions=tuple(subs))
