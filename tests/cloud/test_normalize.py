"""What the adapter reads from and sends to the API, field by field, in the API's own words
(the reference's CmqQueue / CmqTopic / CmqSubscription objects and the request tables)."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pytest

from cmqinfra.cloud import normalize
from cmqinfra.cloud.paging import PagedListing
from cmqinfra.cloud.redact import Redactor
from cmqinfra.cloud.retry import RetryPolicy, is_retryable, is_throttle
from cmqinfra.model import (
    DeadLetter,
    FilterType,
    NotifyContentFormat,
    NotifyStrategy,
    Protocol,
    Queue,
    Subscription,
    Topic,
    Transaction,
)

# The reference's DescribeCmqQueueDetail example (§2.1), with a dead letter, a transaction and tags.
QUEUE = {
    "QueueId": "cmqq-1",
    "QueueName": "orders",
    "Qps": 5000,
    "MaxMsgHeapNum": 1000000,
    "PollingWaitSeconds": 3,
    "MsgRetentionSeconds": 7200,
    "VisibilityTimeout": 45,
    "MaxMsgSize": 1048576,
    "RewindSeconds": 600,
    "RetentionSizeInMB": 2048,
    "ActiveMsgNum": 20,
    "InactiveMsgNum": 2,
    "DelayMsgNum": 1,
    "DeadLetterPolicy": {"DeadLetterQueue": "dlq", "Policy": 0, "MaxTimeToLive": 0, "MaxReceiveCount": 22},
    "DeadLetterSource": [{"QueueId": None, "QueueName": "src"}, {"QueueId": None, "QueueName": ""}],
    "Transaction": True,
    "TransactionPolicy": {"FirstQueryInterval": 10, "MaxQueryCount": 5},
    "Trace": True,
    "Tags": [
        {"TagKey": "team", "TagValue": "payments"},
        {"TagKey": "cmqinfra-stack", "TagValue": "shop"},
        {"TagKey": "cmqinfra-protect", "TagValue": "true"},
        {"TagKey": "", "TagValue": "dropped"},
    ],
}


def test_a_queue_reads_back_in_the_models_words() -> None:
    live = normalize.queue_from_api(QUEUE)
    assert live.queue == Queue(
        name="orders",
        visibility_timeout=45,
        polling_wait_seconds=3,
        msg_retention_seconds=7200,
        max_msg_heap_num=1000000,
        max_msg_size=1048576,
        rewind_seconds=600,
        retention_size_in_mb=2048,
        trace=True,
        transaction=Transaction(first_query_interval=10, max_query_count=5),
        dead_letter=DeadLetter("dlq", max_receive_count=22),
        tags=(("team", "payments"),),
        protect=True,
    )
    assert (live.queue_id, live.owner, live.protected) == ("cmqq-1", "shop", True)
    assert (live.messages.active, live.messages.inactive, live.messages.delayed) == (20, 2, 1)
    assert live.dead_letter_sources == ("src",)


def test_nulls_read_as_the_documented_absence() -> None:
    live = normalize.queue_from_api(
        {
            "QueueName": "q",
            "RewindSeconds": None,
            "RetentionSizeInMB": None,
            "Trace": None,
            "DelayMsgNum": None,
            "DeadLetterPolicy": {"DeadLetterQueue": "", "Policy": 0},
            "Transaction": False,
            "TransactionPolicy": {"FirstQueryInterval": 3},
            "Tags": None,
        }
    )
    q = live.queue
    assert (q.rewind_seconds, q.retention_size_in_mb, q.trace, q.dead_letter, q.transaction) == (
        0,
        0,
        False,
        None,
        None,
    )
    assert (q.visibility_timeout, q.max_msg_size, q.tags, q.protect) == (None, None, (), False)
    assert (live.owner, live.protected, live.queue_id, live.messages.total, live.dead_letter_sources) == (
        None,
        False,
        "",
        0,
        (),
    )


def test_dead_letter_policy_one_is_a_time_to_live_and_a_bare_transaction_has_no_policy() -> None:
    assert normalize.dead_letter_from_api(
        {"DeadLetterQueue": "d", "Policy": 1, "MaxTimeToLive": 300, "MaxReceiveCount": 0}
    ) == DeadLetter("d", max_time_to_live=300)
    assert normalize.dead_letter_from_api(
        {"DeadLetterQueue": "d", "Policy": None, "MaxReceiveCount": "4"}
    ) == (DeadLetter("d", max_receive_count=4))
    assert normalize.dead_letter_from_api(None) is None
    assert normalize.transaction_from_api(1, None) == Transaction(None, None)
    assert normalize.transaction_from_api(0, {"FirstQueryInterval": 1}) is None


def test_a_topic_reads_back_with_its_filter_type_and_ownership() -> None:
    live = normalize.topic_from_api(
        {
            "TopicId": "cmqt-1",
            "TopicName": "events",
            "FilterType": 2,
            "MaxMsgSize": 65536,
            "MsgRetentionSeconds": 86400,
            "Trace": True,
            "Tags": [{"TagKey": "cmqinfra-stack", "TagValue": "shop"}, {"TagKey": "k", "TagValue": None}],
        }
    )
    assert live.topic == Topic(
        "events",
        filter_type=FilterType.ROUTING_KEY,
        max_msg_size=65536,
        msg_retention_seconds=86400,
        trace=True,
        tags=(("k", ""),),
    )
    assert (live.topic_id, live.owner, live.protected) == ("cmqt-1", "shop", False)
    bare = normalize.topic_from_api({"TopicName": "t", "FilterType": 1})
    assert bare.topic == Topic("t", filter_type=FilterType.TAG, trace=False) and bare.topic_id == ""


def test_a_subscription_reads_back_whatever_spelling_of_filter_tags_the_service_uses() -> None:
    live = normalize.subscription_from_api(
        "fallback",
        {
            "SubscriptionId": "subsc-1",
            "SubscriptionName": "hook",
            "TopicName": "alerts",
            "Protocol": "HTTP",
            "Endpoint": "https://h",
            "NotifyStrategy": "BACKOFF_RETRY",
            "NotifyContentFormat": "JSON",
            "FilterTags": ["red"],
            "BindingKey": ["a.#"],
        },
    )
    assert live.subscription == Subscription(
        "alerts",
        "hook",
        Protocol.HTTP,
        "https://h",
        NotifyStrategy.BACKOFF_RETRY,
        NotifyContentFormat.JSON,
        ("red",),
        ("a.#",),
    )
    assert live.subscription_id == "subsc-1"
    legacy = normalize.subscription_from_api(
        "t", {"SubscriptionName": "s", "FilterTag": ["x"], "Endpoint": None}
    )
    assert legacy.subscription == Subscription("t", "s", Protocol.QUEUE, "", filter_tags=("x",))
    assert legacy.subscription_id == ""


def test_create_sends_every_managed_attribute_by_its_request_name() -> None:
    queue = Queue(
        "q",
        visibility_timeout=60,
        polling_wait_seconds=2,
        msg_retention_seconds=3600,
        max_msg_heap_num=2000000,
        max_msg_size=4096,
        rewind_seconds=300,
        retention_size_in_mb=1024,
        trace=False,
        transaction=Transaction(first_query_interval=7, max_query_count=3),
        dead_letter=DeadLetter("d", max_time_to_live=400),
    )
    assert normalize.create_queue_params(queue, (("a", "1"),)) == {
        "QueueName": "q",
        "VisibilityTimeout": 60,
        "PollingWaitSeconds": 2,
        "MsgRetentionSeconds": 3600,
        "MaxMsgHeapNum": 2000000,
        "MaxMsgSize": 4096,
        "RewindSeconds": 300,
        "RetentionSizeInMB": 1024,
        "Trace": False,
        "Transaction": 1,
        "FirstQueryInterval": 7,
        "MaxQueryCount": 3,
        "DeadLetterQueueName": "d",
        "Policy": 1,
        "MaxTimeToLive": 400,
        "Tags": [{"TagKey": "a", "TagValue": "1"}],
    }
    plain = Queue(
        "p", rewind_seconds=0, retention_size_in_mb=1024, dead_letter=DeadLetter("d", max_receive_count=5)
    )
    assert normalize.create_queue_params(plain, ()) == {
        "QueueName": "p",
        "RewindSeconds": 0,
        "DeadLetterQueueName": "d",
        "Policy": 0,
        "MaxReceiveCount": 5,
    }
    assert normalize.create_queue_params(Queue("t", transaction=Transaction(None, None)), ()) == {
        "QueueName": "t",
        "Transaction": 1,
    }


def test_modify_sends_only_what_changed_and_the_rewind_pair_together() -> None:
    before = Queue("q", visibility_timeout=30, rewind_seconds=0, retention_size_in_mb=0, trace=False)
    assert normalize.modify_queue_params(before, before) == {}
    assert normalize.modify_queue_params(before, Queue("q", visibility_timeout=60, trace=None)) == {
        "VisibilityTimeout": 60
    }
    on = Queue("q", visibility_timeout=30, rewind_seconds=600, retention_size_in_mb=2048)
    assert normalize.modify_queue_params(before, on) == {"RewindSeconds": 600, "RetentionSizeInMB": 2048}
    size_only = Queue("q", retention_size_in_mb=4096)
    assert normalize.modify_queue_params(on, size_only) == {"RewindSeconds": 600, "RetentionSizeInMB": 4096}
    off = Queue("q", rewind_seconds=0, retention_size_in_mb=2048)
    assert normalize.modify_queue_params(on, off) == {"RewindSeconds": 0}
    txn = Queue("q", transaction=Transaction(5, None))
    assert normalize.modify_queue_params(before, txn) == {"Transaction": 1, "FirstQueryInterval": 5}
    assert normalize.modify_queue_params(txn, Queue("q")) == {"Transaction": 0}
    dl = Queue("q", dead_letter=DeadLetter("d", max_receive_count=2))
    assert normalize.modify_queue_params(before, dl) == {
        "DeadLetterQueueName": "d",
        "Policy": 0,
        "MaxReceiveCount": 2,
    }
    assert normalize.modify_queue_params(dl, dl) == {}


def test_topic_and_subscription_requests_use_the_documented_names() -> None:
    topic = Topic(
        "t", filter_type=FilterType.ROUTING_KEY, max_msg_size=2048, msg_retention_seconds=86400, trace=True
    )
    assert normalize.create_topic_params(topic, (("k", "v"),)) == {
        "TopicName": "t",
        "FilterType": 2,
        "MaxMsgSize": 2048,
        "MsgRetentionSeconds": 86400,
        "Trace": True,
        "Tags": [{"TagKey": "k", "TagValue": "v"}],
    }
    assert normalize.create_topic_params(Topic("u"), ()) == {"TopicName": "u", "FilterType": 1}
    assert normalize.modify_topic_params(topic, Topic("t", max_msg_size=4096, trace=True)) == {
        "MaxMsgSize": 4096
    }
    sub = Subscription(
        "t",
        "s",
        Protocol.HTTP,
        "https://h",
        NotifyStrategy.BACKOFF_RETRY,
        NotifyContentFormat.JSON,
        ("b", "a"),
        ("k.#",),
    )
    assert normalize.create_subscription_params(sub) == {
        "TopicName": "t",
        "SubscriptionName": "s",
        "Protocol": "http",
        "Endpoint": "https://h",
        "NotifyStrategy": "BACKOFF_RETRY",
        "NotifyContentFormat": "JSON",
        "FilterTag": ["b", "a"],
        "BindingKey": ["k.#"],
    }
    bare = Subscription("t", "s", Protocol.QUEUE, "q")
    assert normalize.create_subscription_params(bare) == {
        "TopicName": "t",
        "SubscriptionName": "s",
        "Protocol": "queue",
        "Endpoint": "q",
    }
    assert normalize.modify_subscription_params(sub, sub) == {}
    assert (
        normalize.modify_subscription_params(
            sub,
            Subscription("t", "s", Protocol.HTTP, "https://h", filter_tags=("a", "b"), binding_keys=("k.#",)),
        )
        == {}
    )
    changed = Subscription(
        "t",
        "s",
        Protocol.HTTP,
        "https://h",
        NotifyStrategy.EXPONENTIAL_DECAY_RETRY,
        NotifyContentFormat.SIMPLIFIED,
        ("c",),
        (),
    )
    assert normalize.modify_subscription_params(sub, changed) == {
        "NotifyStrategy": "EXPONENTIAL_DECAY_RETRY",
        "NotifyContentFormat": "SIMPLIFIED",
        "FilterTags": ["c"],
        "BindingKey": [],
    }


def test_matches_compares_only_what_a_create_asked_for() -> None:
    live = Queue(
        "Orders", visibility_timeout=30, max_msg_size=1024, trace=False, transaction=Transaction(10, 5)
    )
    assert normalize.matches(Queue("orders", visibility_timeout=30, transaction=Transaction(None, 5)), live)
    assert not normalize.matches(Queue("orders", visibility_timeout=31), live)
    assert not normalize.matches(Queue("orders", transaction=Transaction(11, None)), live)
    assert not normalize.matches(Queue("orders"), live)  # no transaction asked for, one is there
    assert normalize.matches(Queue("orders", protect=True, transaction=Transaction(None, None)), live)
    sub = Subscription("t", "s", Protocol.QUEUE, "q", filter_tags=("b", "a"))
    assert normalize.matches(sub, Subscription("t", "s", Protocol.QUEUE, "q", filter_tags=("a", "b")))
    assert not normalize.matches(sub, Subscription("t", "s", Protocol.QUEUE, "q", filter_tags=("a",)))


class _Pages:
    """A Describe* action over ``totals`` items per query, answered at once."""

    def __init__(self, totals: dict[str, int]) -> None:
        self.totals = totals
        self.sent: list[tuple[str, int, int]] = []

    def __call__(self, query: dict[str, Any]) -> Future[dict[str, Any]]:
        name, offset, limit = query["TopicName"], query["Offset"], query["Limit"]
        self.sent.append((name, offset, limit))
        items = [{"n": i} for i in range(offset, min(offset + limit, self.totals[name]))]
        future: Future[dict[str, Any]] = Future()
        future.set_result({"TotalCount": self.totals[name], "List": items})
        return future


def test_a_listing_fetches_every_page_of_every_query_once_in_order() -> None:
    pages = _Pages({"a": 7, "b": 0, "c": 3})
    seen: list[tuple[str, int, int]] = []
    listing: PagedListing[str] = PagedListing(
        pages, "List", 3, lambda n, o, items: seen.append((n, o, len(items)))
    )
    for name in ("a", "b", "a", "c"):
        listing.add(name, {"TopicName": name})
    listing.close()
    result = listing.run()
    assert list(result) == ["a", "b", "c"]
    assert [i["n"] for i in result["a"]] == list(range(7)) and result["b"] == [] and len(result["c"]) == 3
    assert sorted(pages.sent) == [("a", 0, 3), ("a", 3, 3), ("a", 6, 3), ("b", 0, 3), ("c", 0, 3)]
    assert sorted(seen) == [("a", 0, 3), ("a", 3, 3), ("a", 6, 1), ("b", 0, 0), ("c", 0, 3)]
    with pytest.raises(RuntimeError, match="closed"):
        listing.add("d", {"TopicName": "d"})


def test_a_listing_closed_with_an_error_raises_it() -> None:
    listing: PagedListing[str] = PagedListing(_Pages({}), "List", 3)
    listing.close(ValueError("feeder failed"))
    with pytest.raises(ValueError, match="feeder failed"):
        listing.run()


def test_retry_classes_and_back_off_bounds() -> None:
    for code in (
        "RequestLimitExceeded",
        "RequestLimitExceeded.X",
        "InternalError.BrokerService",
        "ClientNetworkError",
        "ServerNetworkError",
        "FailedOperation.CmqBackendError",
        "ResourceUnavailable.SystemUpgrade",
        "ServiceUnavailable",
        "JSONDecodeError",
        "KeyError",
        None,
        "",
    ):
        assert is_retryable(code), code
    for code in ("FailedOperation", "ResourceInUse", "ResourceUnavailable", "AuthFailure.SignatureFailure"):
        assert not is_retryable(code), code
    assert (
        is_throttle("RequestLimitExceeded.UinLimitExceeded")
        and not is_throttle(None)
        and not is_throttle("X")
    )
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.base_seconds, policy.cap_seconds, policy.throttle_budget_seconds) == (
        6,
        0.2,
        5.0,
        10.0,
    )

    class Top:
        def uniform(self, low: float, high: float) -> float:
            return high

    assert [policy.backoff(n, Top()) for n in (1, 2, 3, 6, 9)] == [0.2, 0.4, 0.8, 5.0, 5.0]  # type: ignore[arg-type]


def test_the_redactor_masks_secrets_in_text_and_parameters() -> None:
    redactor = Redactor(["tok-123456789", None, "", "abc"])
    assert redactor.text("Signature=deadbeef0 tok-123456789 abc") == "Signature=*** *** abc"
    assert Redactor(["abcd", "abcdefgh"]).text("[abcdefgh]") == "[***]"
    assert redactor.params(
        {
            "SecretKey": "k",
            "secret_key": "k",
            "Token": "t",
            "Authorization": "a",
            "Password": "p",
            "QueueName": "q",
        }
    ) == {
        "SecretKey": "***",
        "secret_key": "***",
        "Token": "***",
        "Authorization": "***",
        "Password": "***",
        "QueueName": "q",
    }


def test_an_error_line_names_only_what_it_knows() -> None:
    from cmqinfra.cloud.errors import CloudError

    full = CloudError("DeleteCmqQueue", "ResourceInUse", "bound", "req-9", "queue/q")
    assert str(full) == "queue/q: DeleteCmqQueue failed: ResourceInUse: bound (RequestId req-9)"
    assert str(CloudError("DescribeCmqQueues", "InternalError", "boom")) == (
        "DescribeCmqQueues failed: InternalError: boom"
    )


def test_the_sdk_log_filter_redacts_every_record_and_drops_none() -> None:
    import logging

    from cmqinfra.cloud.redact import SDK_LOGGERS, RedactingFilter, guard_sdk_logging

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token %s sent", ("tok-123456789",), None)
    assert RedactingFilter(Redactor(["tok-123456789"])).filter(record) is True
    assert (record.msg, record.args, record.getMessage()) == ("token *** sent", None, "token *** sent")
    guard_sdk_logging(Redactor(["hunter2-secret"]))
    logger = logging.getLogger(SDK_LOGGERS[0])
    assert logger.level == logging.WARNING
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Keep()
    logger.addHandler(handler)
    try:
        logger.warning("key hunter2-secret")
    finally:
        logger.removeHandler(handler)
        for f in list(logger.filters):
            logger.removeFilter(f)
    assert seen == ["key ***"]


def test_secrets_of_four_characters_count_and_the_longest_goes_first() -> None:
    assert Redactor(["abcd"]).text("[abcd]") == "[***]"
    assert Redactor(["zzzz", "aaaazzzz"]).text("aaaazzzz") == "***"


def test_the_rewind_pair_is_sent_whole_and_storage_dropped_with_rewind_off() -> None:
    on = Queue("q", rewind_seconds=600, retention_size_in_mb=2048)
    assert normalize.modify_queue_params(on, Queue("q", rewind_seconds=300, retention_size_in_mb=2048)) == {
        "RewindSeconds": 300,
        "RetentionSizeInMB": 2048,
    }
    assert normalize.modify_queue_params(on, Queue("q", rewind_seconds=0, retention_size_in_mb=4096)) == {
        "RewindSeconds": 0
    }


def test_a_protected_topic_reads_back_protected() -> None:
    live = normalize.topic_from_api(
        {"TopicName": "t", "FilterType": 1, "Tags": [{"TagKey": "cmqinfra-protect", "TagValue": "true"}]}
    )
    assert live.topic.protect and live.protected


def test_matches_holds_dead_letters_binding_keys_and_transaction_counts() -> None:
    assert not normalize.matches(Queue("q"), Queue("q", dead_letter=DeadLetter("d", max_receive_count=1)))
    sub = Subscription("t", "s", Protocol.QUEUE, "q", binding_keys=("b", "a"))
    assert normalize.matches(sub, Subscription("t", "s", Protocol.QUEUE, "q", binding_keys=("a", "b")))
    live = Queue("q", transaction=Transaction(10, 6))
    assert not normalize.matches(Queue("q", transaction=Transaction(None, 5)), live)
    assert normalize.matches(Queue("q", transaction=Transaction(None, 6)), live)


def test_adding_to_a_closed_listing_says_so() -> None:
    listing: PagedListing[str] = PagedListing(_Pages({}), "List", 3)
    listing.close()
    with pytest.raises(RuntimeError) as info:
        listing.add("a", {"TopicName": "a"})
    assert str(info.value) == "the listing is closed"
