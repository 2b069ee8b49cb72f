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
    """The queue's messages in send order, each in its state; nothing is received or consumed."""
    return [m.to_json() for m in _require(backend, "peek")(queue, max(1, min(limit, 1000)))]


def purge(backend: Backend, queue: str) -> dict[str, Any]:
    return {"purged": _require(backend, "purge")(queue)}


def redrive(backend: Backend, dead_letter_queue: str) -> dict[str, Any]:
    """Every dead letter back to the queue it came from, each exactly once (the backend's rule)."""
    return _require(backend, "redrive")(dead_letter_queue).to_json()
