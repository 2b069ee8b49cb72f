"""Places orders: publishes an ``order.<region>.created`` event, and schedules a payment reminder."""

from __future__ import annotations

import json

from cmq.account import Account
from cmq.queue import Message
from cmq.topic import Message as TopicMessage

REMINDER_DELAY_SECONDS = 15 * 60


class OrderProducer:
    def __init__(self, endpoint: str, secret_id: str, secret_key: str) -> None:
        self._account = Account(endpoint, secret_id, secret_key)

    def place(self, order_id: str, region: str, amount: int) -> str:
        """Publish the order to the order-events topic; return the message id."""
        body = json.dumps({"order": order_id, "amount": amount})
        topic = self._account.get_topic("order-events")
        return topic.publish_message(TopicMessage(body), routingKey=f"order.{region}.created").msgId

    def remind_later(self, order_id: str) -> None:
        """Ask for a payment reminder in 15 minutes (a delayed message)."""
        self._account.get_queue("reminders").send_message(
            Message(json.dumps({"remind": order_id})), delayTime=REMINDER_DELAY_SECONDS
        )
