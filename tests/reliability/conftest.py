"""Fixtures for the reliability suite: an emulator on an ephemeral port with a sentinel outside
the stack, an SDK-backed judge, and the real CLI as a subprocess.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tencentcloud.tdmq.v20200217 import models

from cmqinfra.model import STACK_TAG, Stack

from .account import Account, client, read_account
from .check import Outside, outside
from .cli import SECRET_ID, SECRET_KEY, Run, cli_env, run_cli


def start_emulator(data: Path, **kwargs: Any) -> Any:
    """The in-process emulator with the suite's key pair and rate limits off."""
    from cmqinfra.emulator import Emulator

    return Emulator.start(
        data, port=0, secret_id=SECRET_ID, secret_key=SECRET_KEY, rate_limits=False, **kwargs
    )


@dataclass
class World:
    """One emulator, one working directory, and the ways the tests look at both."""

    emulator: Any
    tmp: Path
    fired: Counter[str] = field(default_factory=Counter)  # fault outcomes the emulator drew
    sentinel: Outside | None = None
    settle_seconds: float = 0.0  # eventual consistency: how long a fresh create may stay invisible
    call_timeout: int | None = None  # --timeout for plan / apply / destroy (the product's default: 10 s)

    @property
    def endpoint(self) -> str:
        return self.emulator.url

    @contextmanager
    def calm(self) -> Iterator[None]:
        """Faults off while the judge reads, restored afterwards."""
        from cmqinfra.emulator import Faults

        saved = self.emulator.faults
        self.emulator.faults = Faults()
        try:
            if self.settle_seconds:
                time.sleep(self.settle_seconds)
            yield
        finally:
            self.emulator.faults = saved

    def account(self) -> Account:
        with self.calm():
            return read_account(client(self.endpoint, SECRET_ID, SECRET_KEY))

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 90) -> Run:
        if self.call_timeout is not None and args and args[0] in ("plan", "apply", "destroy"):
            args = (args[0], "--timeout", str(self.call_timeout), *args[1:])
        return run_cli(*args, cwd=self.tmp, env=env or cli_env(), timeout=timeout)

    def apply(self, manifest: Path, *extra: str, env: dict[str, str] | None = None) -> Run:
        return self.cli(
            "apply", str(manifest), "--endpoint", self.endpoint, "--auto-approve", *extra, env=env
        )

    def plan(self, manifest: Path, *extra: str, env: dict[str, str] | None = None) -> Run:
        return self.cli("plan", str(manifest), "--endpoint", self.endpoint, *extra, env=env)

    def make_sentinel(self, *stacks: Stack) -> Outside:
        """Resources outside every stack under test, made with direct SDK calls, as a snapshot.

        Their names share prefixes with the stacks' resources (a fuzzy-match trap), one of them
        is owned by another stack, and one is a subscription on a foreign topic."""
        api = client(self.endpoint, SECRET_ID, SECRET_KEY)
        prefix = stacks[0].name if stacks else "x"

        def queue(name: str, tags: dict[str, str] | None = None) -> None:
            req = models.CreateCmqQueueRequest()
            req.QueueName, req.VisibilityTimeout = name, 77
            if tags:
                req.Tags = [_tag(k, v) for k, v in tags.items()]
            api.CreateCmqQueue(req)

        queue(f"{prefix}-orders-archive")
        queue("sentinel-q", {"team": "elsewhere"})
        queue(f"{prefix}-foreign", {STACK_TAG: "someone-else"})
        treq = models.CreateCmqTopicRequest()
        treq.TopicName, treq.FilterType = f"{prefix}-events-old", 2
        api.CreateCmqTopic(treq)
        sreq = models.CreateCmqSubscribeRequest()
        sreq.TopicName, sreq.SubscriptionName, sreq.Protocol, sreq.Endpoint = (
            f"{prefix}-events-old",
            "to-a",
            "queue",
            "sentinel-q",
        )
        sreq.BindingKey = ["order.#"]
        api.CreateCmqSubscribe(sreq)
        self.sentinel = outside(self.account(), *stacks)
        assert len(self.sentinel.queues) == 3 and len(self.sentinel.subscriptions) == 1
        return self.sentinel


def _tag(key: str, value: str) -> models.Tag:
    tag = models.Tag()
    tag.TagKey, tag.TagValue = key, value
    return tag


def counting_dice(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the fault outcomes the emulator draws, so a test can prove its fault really fired."""
    from cmqinfra.emulator import server

    fired: Counter[str] = Counter()

    class CountingDice(server.FaultDice):  # type: ignore[misc, name-defined]
        def draw(self, action: str) -> Any:
            outcome = super().draw(action)
            fired[outcome.value] += 1
            return outcome

    monkeypatch.setattr(server, "FaultDice", CountingDice)
    return fired


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    fired = counting_dice(monkeypatch)
    data = tmp_path / "emulator"
    data.mkdir()
    emulator = start_emulator(data / "emulator.sqlite3")
    work = tmp_path / "work"
    work.mkdir()
    try:
        yield World(emulator=emulator, tmp=work, fired=fired)
    finally:
        emulator.stop()
