"""What terraform-provider-tencentcloud documents and does for its three CMQ resources.

Source: github.com/tencentcloudstack/terraform-provider-tencentcloud,
``tencentcloud/services/tcmq/resource_tc_tcmq_{queue,topic,subscribe}.go`` (the schemas and
the Create functions) and ``website/docs/r/tcmq_{queue,topic,subscribe}.html.markdown`` (the
argument references). Two facts of the Create functions matter for a faithful translation:

- Every integer and boolean argument is sent on create, written or not (``d.GetOk`` returns the
  zero value, and the provider tests the value against nil): an unwritten argument is its
  schema default, else 0 / false. Strings and sets are sent only when written.
- The topic's ``trace`` defaults to true; the subscription's ``notify_content_format`` to
  JSON; the queue's ``max_msg_size`` and the topic's to 65536.

The subscription's ``tags`` argument is documented but never sent to the service, and the
queue's Read stores ``dead_letter_queue_name`` from ``DeadLetterSource`` (the queues that use
this one as their dead-letter queue), so a state file can name the wrong queue there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

QUEUE = "tencentcloud_tcmq_queue"
TOPIC = "tencentcloud_tcmq_topic"
SUBSCRIBE = "tencentcloud_tcmq_subscribe"
RESOURCE_TYPES = (QUEUE, TOPIC, SUBSCRIBE)

# Terraform's own arguments, valid on any resource block (not the provider's).
META_ARGUMENTS = frozenset(
    {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection", "timeouts"}
)


class Kind(str, Enum):
    STRING = "string"
    INT = "int"
    BOOL = "bool"
    SET = "set of string"
    MAP = "map of string"


@dataclass(frozen=True)
class Argument:
    kind: Kind
    required: bool = False
    default: object = None  # the schema's Default; None when it has none

    @property
    def sent_when_unwritten(self) -> object:
        """The value the provider's Create sends when the argument is not written."""
        if self.default is not None:
            return self.default
        if self.kind is Kind.INT:
            return 0
        if self.kind is Kind.BOOL:
            return False
        return None


SCHEMAS: dict[str, dict[str, Argument]] = {
    QUEUE: {
        "queue_name": Argument(Kind.STRING, required=True),
        "max_msg_heap_num": Argument(Kind.INT, default=10_000_000),
        "polling_wait_seconds": Argument(Kind.INT),
        "visibility_timeout": Argument(Kind.INT, default=30),
        "max_msg_size": Argument(Kind.INT, default=65536),
        "msg_retention_seconds": Argument(Kind.INT, default=3600),
        "rewind_seconds": Argument(Kind.INT),
        "transaction": Argument(Kind.INT),
        "first_query_interval": Argument(Kind.INT),
        "max_query_count": Argument(Kind.INT),
        "dead_letter_queue_name": Argument(Kind.STRING),
        "policy": Argument(Kind.INT),
        "max_receive_count": Argument(Kind.INT, default=50),
        "max_time_to_live": Argument(Kind.INT, default=300),
        "trace": Argument(Kind.BOOL),
        "retention_size_in_mb": Argument(Kind.INT),
    },
    TOPIC: {
        "topic_name": Argument(Kind.STRING, required=True),
        "max_msg_size": Argument(Kind.INT, default=65536),
        "filter_type": Argument(Kind.INT, default=1),
        "msg_retention_seconds": Argument(Kind.INT, default=86400),
        "trace": Argument(Kind.BOOL, default=True),
    },
    SUBSCRIBE: {
        "topic_name": Argument(Kind.STRING, required=True),
        "subscription_name": Argument(Kind.STRING, required=True),
        "protocol": Argument(Kind.STRING, required=True),
        "endpoint": Argument(Kind.STRING, required=True),
        "notify_strategy": Argument(Kind.STRING, default="EXPONENTIAL_DECAY_RETRY"),
        "filter_tags": Argument(Kind.SET),
        "binding_key": Argument(Kind.SET),
        "notify_content_format": Argument(Kind.STRING, default="JSON"),
        "tags": Argument(Kind.MAP),
    },
}

# Attributes a state file carries besides the arguments: computed by Terraform, not settings.
STATE_ONLY = frozenset({"id", "timeouts"})

# What the reference attribute ``<type>.<name>.id`` is, per resource type.
ID_PARTS: dict[str, tuple[str, ...]] = {
    QUEUE: ("queue_name",),
    TOPIC: ("topic_name",),
    SUBSCRIBE: ("topic_name", "subscription_name"),  # joined with "#", the provider's FILED_SP
}
