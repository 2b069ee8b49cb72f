"""The console's actions, each one operation of the one backend (the same ones the CMQ door,
the admin endpoints and ``cmqinfra.testing`` use): nothing here touches the store itself."""

from __future__ import annotations

from typing import Any

from cmqinfra.emulator.backend import Backend
from cmqinfra.emulator.console.guard import Refused


def send(backend: Backend, queue: str, body: str, delay_seconds: int) -> dict[str, Any]:
    return {"msgId": backend.send(queue, body, delay_seconds=delay_seconds)}


def publish(backend: Backend, topic: str, body: str, tags: list[str], routing_key: str) -> dict[str, Any]:
    delivery = backend.publish(topic, body, tags=tags, routing_key=routing_key)
    return {"msgId": delivery.msg_id, "queues": list(delivery.queues), "pushes": list(delivery.pushes)}


def _require(backend: Backend, name: str) -> Any:
    operation = getattr(backend, name, None)
    if operation is None:
        raise Refused(501, f"this emulator has no {name} operation")
    return operation


def peek(backend: Backend, queue: str, limit: int) -> list[dict[str, Any]]:
    return [_message(m) for m in _require(backend, "peek")(queue, limit)]


def purge(backend: Backend, queue: str) -> dict[str, Any]:
    return {"purged": _require(backend, "purge")(queue)}


def redrive(backend: Backend, queue: str, to: object) -> dict[str, Any]:
    return {"moved": _require(backend, "redrive")(queue, to if isinstance(to, str) else None)}


def _message(m: Any) -> dict[str, Any]:
    """A peeked message as the page shows it (ids, body, times in ms, receive count)."""
    return {
        "msgId": m.msg_id,
        "body": m.body,
        "enqueueTime": getattr(m, "enqueue_ms", None),
        "dequeueCount": getattr(m, "dequeue_count", None),
    }
