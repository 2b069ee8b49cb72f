"""Data-plane throughput, side by side: the emulator's CMQ message API against moto's SQS server.

    pip install -e '.[test,bench]'
    python benchmarks/dataplane.py --seconds 3 --out benchmarks/results/dataplane.md

Both servers run in their own processes on 127.0.0.1 (ephemeral ports), started and stopped here;
the clients run in this process: the unmodified CMQ SDK (qcloud-cmq-sdk-py3) for the emulator and
boto3 for moto, one client per consumer thread, keep-alive on both. One workload for both:

- round trips: each consumer sends B messages (one call), receives up to B (one call, long poll of
  1 s so an empty queue never spins), deletes what it got (one call), until the row's time is up;
  B = 1 and 16, with 1 and 8 consumers sharing one queue. messages/s = messages deleted / time.
  SQS caps a batch at 10, so a 16-message batch is two calls there (10 + 6).
- wake-up: a receive waits (long poll, 5 s); 50 ms later a send goes out; the latency is from the
  send's start to the waiting receive's return. p50 and p99 over the samples.

Targets, judged per row: the emulator's messages/s at least moto's; wake-up p99 under 50 ms.
Exit 0 when every target passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

REPO = Path(__file__).resolve().parent.parent
WAKE_TARGET_MS = 50.0
SQS_BATCH = 10
ROUND_TRIP_ROWS = ((1, 1), (1, 8), (16, 1), (16, 8))  # (messages per call, consumers)


class Client(Protocol):
    """One consumer's connection to a queue service (one per thread)."""

    def send(self, queue: str, bodies: Sequence[str]) -> None: ...

    def receive(self, queue: str, count: int, wait_seconds: int) -> list[Any]: ...

    def delete(self, queue: str, handles: Sequence[Any]) -> None: ...


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    client: Callable[[], Client]
    create_queue: Callable[[str], None]


# ------------------------------------------------------------------------------------------ CMQ


class CmqClient:
    def __init__(self, url: str) -> None:
        from cmq.account import Account

        from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

        self.account = Account(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
        self.account.close_log()
        self.account.get_client().set_keep_alive(True)
        self._queues: dict[str, Any] = {}

    def _queue(self, name: str) -> Any:
        queue = self._queues.get(name)
        if queue is None:
            queue = self._queues[name] = self.account.get_queue(name)
        return queue

    def send(self, queue: str, bodies: Sequence[str]) -> None:
        from cmq.queue import Message

        if len(bodies) == 1:
            self._queue(queue).send_message(Message(bodies[0]))
        else:
            self._queue(queue).batch_send_message([Message(b) for b in bodies])

    def receive(self, queue: str, count: int, wait_seconds: int) -> list[Any]:
        from cmq.cmq_exception import CMQServerException

        try:
            if count == 1:
                return [self._queue(queue).receive_message(wait_seconds).receiptHandle]
            return [m.receiptHandle for m in self._queue(queue).batch_receive_message(count, wait_seconds)]
        except CMQServerException as exc:
            if int(exc.code) == 7000:  # no message: CMQ's normal empty answer
                return []
            raise

    def delete(self, queue: str, handles: Sequence[Any]) -> None:
        if len(handles) == 1:
            self._queue(queue).delete_message(handles[0])
        elif handles:
            self._queue(queue).batch_delete_message(list(handles))


def cmq_service(url: str) -> Service:
    def create(name: str) -> None:
        from cmq.queue import QueueMeta

        meta = QueueMeta()
        meta.visibilityTimeout, meta.pollingWaitSeconds = 30, 0
        CmqClient(url).account.get_queue(name).create(meta)

    return Service("emulator (CMQ SDK)", url, lambda: CmqClient(url), create)


# ------------------------------------------------------------------------------------------ SQS


class SqsClient:
    def __init__(self, url: str) -> None:
        import boto3
        from botocore.config import Config

        self.sqs = boto3.client(
            "sqs",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, max_pool_connections=4),
        )
        self._urls: dict[str, str] = {}

    def _url(self, queue: str) -> str:
        url = self._urls.get(queue)
        if url is None:
            url = self._urls[queue] = self.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        return url

    def send(self, queue: str, bodies: Sequence[str]) -> None:
        if len(bodies) == 1:
            self.sqs.send_message(QueueUrl=self._url(queue), MessageBody=bodies[0])
            return
        for start in range(0, len(bodies), SQS_BATCH):
            entries = [
                {"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies[start : start + SQS_BATCH])
            ]
            self.sqs.send_message_batch(QueueUrl=self._url(queue), Entries=entries)

    def receive(self, queue: str, count: int, wait_seconds: int) -> list[Any]:
        handles: list[Any] = []
        while count > 0:
            got = self.sqs.receive_message(
                QueueUrl=self._url(queue),
                MaxNumberOfMessages=min(count, SQS_BATCH),
                WaitTimeSeconds=wait_seconds,
            ).get("Messages", [])
            handles.extend(m["ReceiptHandle"] for m in got)
            if len(got) < min(count, SQS_BATCH):
                break
            count -= len(got)
        return handles

    def delete(self, queue: str, handles: Sequence[Any]) -> None:
        if len(handles) == 1:
            self.sqs.delete_message(QueueUrl=self._url(queue), ReceiptHandle=handles[0])
            return
        for start in range(0, len(handles), SQS_BATCH):
            entries = [
                {"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles[start : start + SQS_BATCH])
            ]
            self.sqs.delete_message_batch(QueueUrl=self._url(queue), Entries=entries)


def sqs_service(url: str) -> Service:
    def create(name: str) -> None:
        SqsClient(url).sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30"})

    return Service("moto (SQS, boto3)", url, lambda: SqsClient(url), create)


# -------------------------------------------------------------------------------------- servers


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _drain(stream: Any) -> None:
    for _ in iter(stream.readline, ""):
        pass


@contextmanager
def emulator_server() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", "--fresh", "--no-rate-limits"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_environment(),
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"the emulator did not start (said {line!r})")
        yield line.removeprefix("listening on ")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def moto_server() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
    )
    try:
        assert process.stderr is not None
        url = None
        deadline = time.monotonic() + 60
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            if "Running on http://" in line:
                url = "http://" + line.split("Running on http://", 1)[1].split()[0]
        if url is None:
            raise RuntimeError("moto's server did not start")
        # moto logs every request on stderr: keep reading it so the pipe never fills.
        threading.Thread(target=_drain, args=(process.stderr,), daemon=True).start()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ------------------------------------------------------------------------------------- workload


_names = itertools.count()


def round_trips(service: Service, batch: int, consumers: int, seconds: float) -> float:
    """Messages per second sent, received and deleted by ``consumers`` threads on one queue."""
    queue = f"bench-{batch}-{consumers}-{next(_names)}"
    service.create_queue(queue)
    clients = [service.client() for _ in range(consumers)]
    for client in clients:  # connect (and resolve the queue) before the clock starts
        client.receive(queue, 1, 0)
    deleted = [0] * consumers
    errors: list[BaseException] = []
    start = threading.Barrier(consumers + 1)
    stop = threading.Event()

    def consume(index: int) -> None:
        client = clients[index]
        bodies = [f"message {index} {i}" for i in range(batch)]
        start.wait()
        try:
            while not stop.is_set():
                client.send(queue, bodies)
                handles = client.receive(queue, batch, 1)
                client.delete(queue, handles)
                deleted[index] += len(handles)
        except BaseException as exc:  # noqa: BLE001 - reported after the row
            errors.append(exc)

    threads = [threading.Thread(target=consume, args=(i,), daemon=True) for i in range(consumers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    elapsed = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{service.name}: {type(errors[0]).__name__}: {errors[0]}")
    return sum(deleted) / elapsed


def wake_up_latencies(service: Service, samples: int) -> list[float]:
    """Milliseconds from a send's start to the return of a receive already waiting for it."""
    queue = f"bench-wake-{next(_names)}"
    service.create_queue(queue)
    consumer, producer = service.client(), service.client()
    consumer.receive(queue, 1, 0)
    producer.receive(queue, 1, 0)
    latencies: list[float] = []

    def wait(handles: list[Any], returned: list[float]) -> None:
        handles.extend(consumer.receive(queue, 1, 5))
        returned.append(time.perf_counter())

    for i in range(samples):
        returned: list[float] = []
        handles: list[Any] = []
        waiter = threading.Thread(target=wait, args=(handles, returned), daemon=True)
        waiter.start()
        time.sleep(0.05)  # the receive is on the server and waiting well before this
        sent = time.perf_counter()
        producer.send(queue, [f"wake {i}"])
        waiter.join(timeout=10)
        if not handles:
            raise RuntimeError(f"{service.name}: a waiting receive did not get the message")
        latencies.append((returned[0] - sent) * 1000)
        consumer.delete(queue, handles)
    return latencies


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


# ---------------------------------------------------------------------------------------- report


@dataclass(frozen=True)
class Row:
    workload: str
    emulator: float
    moto: float
    passed: bool
    unit: str = "msg/s"
    judged: bool = True  # False: shown for context, no target of its own

    @property
    def ratio(self) -> float:
        return self.emulator / self.moto if self.moto else float("inf")


def table(rows: Sequence[Row]) -> str:
    lines = [
        "| workload | emulator (CMQ SDK) | moto (SQS, boto3) | emulator / moto | target | result |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        if row.unit == "msg/s":
            target = ">= moto"
            cells = f"{row.emulator:,.0f} msg/s | {row.moto:,.0f} msg/s | {row.ratio:.2f}"
        else:
            target = f"p99 < {WAKE_TARGET_MS:g} ms"
            cells = f"{row.emulator:.1f} ms | {row.moto:.1f} ms | {row.ratio:.2f}"
        result = ("PASS" if row.passed else "FAIL") if row.judged else "-"
        lines.append(f"| {row.workload} | {cells} | {target if row.judged else '-'} | {result} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per round-trip row (default 3)")
    parser.add_argument(
        "--wake-samples", type=int, default=100, help="wake-up samples per server (default 100)"
    )
    parser.add_argument("--out", type=Path, help="also write the table (markdown) to this file")
    args = parser.parse_args(argv)

    measured: dict[str, dict[str, Any]] = {"emulator": {}, "moto": {}}
    # Both servers run at once and each row measures one right after the other, so a busy
    # machine weighs on both alike.
    with emulator_server() as emulator_url, moto_server() as moto_url:
        services = {"emulator": cmq_service(emulator_url), "moto": sqs_service(moto_url)}
        for batch, consumers in ROUND_TRIP_ROWS:
            for name, service in services.items():
                rate = round_trips(service, batch, consumers, args.seconds)
                measured[name][f"{batch}/{consumers}"] = rate
                print(
                    f"{service.name}: {batch} per call, {consumers} consumer(s): {rate:,.0f} msg/s",
                    flush=True,
                )
        for name, service in services.items():
            wake = wake_up_latencies(service, args.wake_samples)
            measured[name]["wake"] = wake
            p50, p99 = percentile(wake, 50), percentile(wake, 99)
            print(f"{service.name}: wake-up p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)

    rows: list[Row] = []
    for batch, consumers in ROUND_TRIP_ROWS:
        key = f"{batch}/{consumers}"
        emu, moto = measured["emulator"][key], measured["moto"][key]
        label = (
            f"send/receive/delete, {batch} msg per call, {consumers} consumer{'s' if consumers > 1 else ''}"
        )
        rows.append(Row(label, emu, moto, emu >= moto))
    emu_wake, moto_wake = measured["emulator"]["wake"], measured["moto"]["wake"]
    rows.append(
        Row(
            "long-poll wake-up p50",
            percentile(emu_wake, 50),
            percentile(moto_wake, 50),
            True,
            "ms",
            judged=False,
        )
    )
    p99 = percentile(emu_wake, 99)
    rows.append(Row("long-poll wake-up p99", p99, percentile(moto_wake, 99), p99 < WAKE_TARGET_MS, "ms"))

    text = table(rows)
    print()
    print(text)
    judged = [row for row in rows if row.judged]
    ok = all(row.passed for row in judged)
    print(f"\n{'PASS' if ok else 'FAIL'}: {sum(r.passed for r in judged)} of {len(judged)} targets met")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        command = (
            f"python benchmarks/dataplane.py --seconds {args.seconds:g} --wake-samples {args.wake_samples}"
        )
        args.out.write_text(f"`{command}`\n\n{text}\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
