"""Processes orders: a message is deleted only once its handler succeeded; a handler that fails
leaves it to come back after the visibility timeout, and CMQ dead-letters it after three tries."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cmq.account import Account
from cmq.cmq_exception import CMQServerException

NO_MESSAGE = 7000  # the CMQ code for "nothing to receive"


class OrderConsumer:
    def __init__(self, endpoint: str, secret_id: str, secret_key: str, queue: str = "orders") -> None:
        self._queue = Account(endpoint, secret_id, secret_key).get_queue(queue)

    def poll_once(self, handle: Callable[[dict[str, Any]], None], wait_seconds: int = 0) -> int:
        """Receive up to 16 messages, hand each to ``handle``, delete those it accepted; return how
        many were processed."""
        try:
            batch = self._queue.batch_receive_message(16, wait_seconds)
        except CMQServerException as error:
            if error.code == NO_MESSAGE:
                return 0
            raise
        done = 0
        for message in batch:
            try:
                handle(json.loads(message.msgBody))
            except Exception:  # noqa: BLE001 - any failure: leave it for a retry
                continue
            self._queue.delete_message(message.receiptHandle)
            done += 1
        return done
