"""Synthetic stacks of growing size, written as the YAML manifests users write by hand.

Shape per size N (queues): N // 10 dead-letter queues, the rest are working queues of which
half use a dead letter; N // 10 topics, alternately routing-key and tag topics; N
subscriptions spread evenly over the topics, each delivering to a working queue (a fan-out,
so every subscription's endpoint exists in the same manifest).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cmqinfra.model import (
    DeadLetter,
    FilterType,
    Protocol,
    Queue,
    Stack,
    Subscription,
    Topic,
    tags_of,
)

STACK = "bench"


@dataclass(frozen=True)
class Workload:
    queues: int
    topics: int
    subscriptions: int
    dead_letter_queues: int
    queues_with_dead_letter: int
    stack: str = STACK
    prefix: str = ""  # before every queue and topic name: stacks of one account never collide

    @classmethod
    def of_size(cls, queues: int, stack: str = STACK, prefix: str = "") -> Workload:
        if queues < 10:
            raise ValueError(f"a workload needs at least 10 queues (got {queues})")
        dead_letters = max(1, queues // 10)
        working = queues - dead_letters
        return cls(
            queues=queues,
            topics=max(1, queues // 10),
            subscriptions=queues,
            dead_letter_queues=dead_letters,
            queues_with_dead_letter=working // 2,
            stack=stack,
            prefix=prefix,
        )

    @property
    def working_queues(self) -> int:
        return self.queues - self.dead_letter_queues

    @property
    def label(self) -> str:
        return f"{self.queues}/{self.topics}/{self.subscriptions}"

    def subscriptions_per_topic(self) -> list[int]:
        """How many subscriptions each topic gets (even spread, the first ones take the remainder)."""
        base, extra = divmod(self.subscriptions, self.topics)
        return [base + (1 if i < extra else 0) for i in range(self.topics)]


def dead_letter_name(i: int) -> str:
    return f"dlq{i:05d}-store"  # names may not end in -dlq (reserved by the service)


def queue_name(i: int) -> str:
    return f"work{i:05d}"


def topic_name(i: int) -> str:
    return f"events{i:05d}"


def manifest_documents(workload: Workload) -> dict[str, dict[str, Any]]:
    """File name -> YAML document: queues and topics in separate files, as a directory stack."""
    p = workload.prefix
    queues: dict[str, Any] = {}
    for i in range(workload.dead_letter_queues):
        queues[p + dead_letter_name(i)] = {"msgRetentionSeconds": 43200}
    for i in range(workload.working_queues):
        spec: dict[str, Any] = {"visibilityTimeout": 30 + i % 60, "tags": {"team": f"team{i % 7}"}}
        if i < workload.queues_with_dead_letter:
            spec["deadLetter"] = {
                "queue": p + dead_letter_name(i % workload.dead_letter_queues),
                "maxReceiveCount": 3 + i % 5,
            }
        queues[p + queue_name(i)] = spec

    topics: dict[str, Any] = {}
    endpoint = 0
    for t, count in enumerate(workload.subscriptions_per_topic()):
        routing = t % 2 == 0
        subscriptions: dict[str, Any] = {}
        for s in range(count):
            sub: dict[str, Any] = {
                "protocol": "queue",
                "endpoint": p + queue_name(endpoint % workload.working_queues),
            }
            endpoint += 1
            if routing:
                sub["bindingKeys"] = [f"order.{s}.*", "order.#"]
            else:
                sub["filterTags"] = [f"tag{s % 5}"]
            subscriptions[f"sub{s:04d}"] = sub
        topics[p + topic_name(t)] = {
            "filterType": "routingKey" if routing else "tag",
            "tags": {"team": f"team{t % 7}"},
            "subscriptions": subscriptions,
        }
    return {
        "queues.yaml": {"stack": workload.stack, "queues": queues},
        "topics.yaml": {"stack": workload.stack, "topics": topics},
    }


def write_manifests(workload: Workload, directory: Path) -> Path:
    """Write the workload's manifests into ``directory`` (created) and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, document in manifest_documents(workload).items():
        text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def stack_of(workload: Workload) -> Stack:
    """The workload as model values, built directly (no manifest loader): used only when the
    loader is not available, so the diff and render can still be measured."""
    docs = manifest_documents(workload)
    queues = []
    for name, spec in docs["queues.yaml"]["queues"].items():
        dead = spec.get("deadLetter")
        queues.append(
            Queue(
                name,
                visibility_timeout=spec.get("visibilityTimeout"),
                msg_retention_seconds=spec.get("msgRetentionSeconds"),
                tags=tags_of(spec.get("tags")),
                dead_letter=DeadLetter(dead["queue"], dead["maxReceiveCount"]) if dead else None,
            )
        )
    topics = []
    subscriptions = []
    for name, spec in docs["topics.yaml"]["topics"].items():
        topics.append(Topic(name, FilterType(spec["filterType"]), tags=tags_of(spec["tags"])))
        for sub_name, sub in spec["subscriptions"].items():
            subscriptions.append(
                Subscription(
                    name,
                    sub_name,
                    Protocol.QUEUE,
                    sub["endpoint"],
                    filter_tags=tuple(sub.get("filterTags", ())),
                    binding_keys=tuple(sub.get("bindingKeys", ())),
                )
            )
    return Stack(workload.stack, None, tuple(queues), tuple(topics), tuple(subscriptions))
