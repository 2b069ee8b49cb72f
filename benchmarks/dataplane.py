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
- wake-up: a receive waits (long poll, 5 s) in this process; 50 ms later another process
  (benchmarks/wake_producer.py, the same client) sends one message; the latency is from the send's
  request reaching the server (its last bytes handed to the loopback socket) to the waiting
  receive's return, message in hand: the server's wake-up plus the receiver's reading of the
  answer, not the producer's own building and signing of its request (printed beside it: from the
  start of the send call). p50 and p99 over the samples.

- client floor: the same round trips through the same SDK against ``benchmarks/cmq_floor.py``, a
  server that answers at once with replies of the emulator's shape: the client's own CPU per
  message and the most it moves with nothing to wait for. Printed beside each row with the cores
  it alone would take at the row's target.

Targets, judged per row: ahead of moto; the emulator's own targets (below); a miss above
--max-load is NOT JUDGED. Exit 0 when every judged target passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
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
if str(REPO) not in sys.path:  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(REPO))
SQS_BATCH = 10
ROUND_TRIP_ROWS = ((1, 1), (1, 8), (16, 1), (16, 8))  # (messages per call, consumers)
# The emulator's own targets, (messages per call, consumers) -> messages/s; and the others.
TARGETS = {(1, 1): 1_500.0, (16, 8): 20_000.0}
WAKE_P99_MS, READY_SECONDS = 2.0, 0.2
# Above this 1-minute load average (2 cores) an emulator's own target that is missed is not
# judged: the client SDK, the emulator and the machine's other work then share the cores, and a
# figure says more about the queue for them than about the emulator. A target met under load is
# met (a load only slows), and ahead of moto is judged at any load: both run in the same run,
# each row right after the other.
MAX_LOAD = 2.0


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
    kind: str  # "cmq" or "sqs": which client benchmarks/wake_producer.py builds


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

    return Service("emulator (CMQ SDK)", url, lambda: CmqClient(url), create, "cmq")


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

    return Service("moto (SQS, boto3)", url, lambda: SqsClient(url), create, "sqs")


# -------------------------------------------------------------------------------------- servers


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _drain(stream: Any) -> None:
    for _ in iter(stream.readline, ""):
        pass


@dataclass(frozen=True)
class Server:
    url: str
    pid: int
    ready_seconds: float  # from the process's start to its first answered request
    ready_cpu: float  # the process's CPU by then: what the start costs on a machine of its own


def cpu_seconds(pid: int) -> float:
    """The process's CPU so far (user + system, all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _answered(url: str) -> bool:
    """Any HTTP answer at all: the server is up and serving."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=1)
        connection.request("GET", "/")
        connection.getresponse().read()
        connection.close()
        return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def announced_server(argv: Sequence[str], name: str) -> Iterator[Server]:
    """A server process that prints ``listening on URL`` as its first line on stdout once it
    serves, and answers a request at that URL."""
    began = time.perf_counter()
    process = subprocess.Popen(
        list(argv), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_environment(), cwd=REPO
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise RuntimeError(f"{name} did not start (said {line!r})")
        url = line.removeprefix("listening on ")
        if not _answered(url):
            raise RuntimeError(f"{name} said it listens but did not answer")
        yield Server(url, process.pid, time.perf_counter() - began, cpu_seconds(process.pid))
    finally:
        _stop(process)


def emulator_server() -> contextlib.AbstractContextManager[Server]:
    argv = [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", "--fresh", "--no-rate-limits"]
    return announced_server(argv, "the emulator")


def floor_server() -> contextlib.AbstractContextManager[Server]:
    """benchmarks/cmq_floor.py: the CMQ SDK's calls answered at once (the client's floor)."""
    return announced_server([sys.executable, "-m", "benchmarks.cmq_floor"], "the floor server")


@contextmanager
def moto_server() -> Iterator[Server]:
    began = time.perf_counter()
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
        while not _answered(url) and time.monotonic() < deadline:
            time.sleep(0.005)
        ready = time.perf_counter() - began
        yield Server(url, process.pid, ready, cpu_seconds(process.pid))
    finally:
        _stop(process)


# ------------------------------------------------------------------------------------- workload


_names = itertools.count()


def round_trips(service: Service, batch: int, consumers: int, seconds: float) -> tuple[float, int]:
    """Messages per second sent, received and deleted by ``consumers`` threads on one queue, and
    how many messages that was."""
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
    return sum(deleted) / elapsed, sum(deleted)


@dataclass(frozen=True)
class Wake:
    """One wake-up, in milliseconds until the waiting receive returned with the message."""

    from_wire: float  # from the send's request handed to the socket (it reaches the server)
    from_call: float  # from the start of the producer's send call (its client's own work included)


def wake_up_latencies(service: Service, samples: int) -> list[Wake]:
    """A receive waits (long poll, 5 s) in this process; 50 ms later another process sends one
    message (benchmarks/wake_producer.py); the time until the waiting receive returns."""
    queue = f"bench-wake-{next(_names)}"
    service.create_queue(queue)
    consumer = service.client()
    consumer.receive(queue, 1, 0)
    producer = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.wake_producer", service.kind, service.url, queue],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_environment(), cwd=REPO,
    )
    assert producer.stdin is not None and producer.stdout is not None
    wakes: list[Wake] = []

    def wait(handles: list[Any], returned: list[float]) -> None:
        handles.extend(consumer.receive(queue, 1, 5))
        returned.append(time.monotonic())

    try:
        if producer.stdout.readline().strip() != "ready":
            raise RuntimeError(f"{service.name}: the wake-up producer did not start")
        for i in range(samples):
            returned: list[float] = []
            handles: list[Any] = []
            waiter = threading.Thread(target=wait, args=(handles, returned), daemon=True)
            waiter.start()
            time.sleep(0.05)  # the receive is on the server and waiting well before this
            producer.stdin.write(f"wake {i}\n")
            producer.stdin.flush()
            waiter.join(timeout=10)  # only then read the producer's line: nothing else runs here
            call, wire = (float(word) for word in producer.stdout.readline().split())
            if not handles:
                raise RuntimeError(f"{service.name}: a waiting receive did not get the message")
            wakes.append(Wake((returned[0] - wire) * 1000, (returned[0] - call) * 1000))
            consumer.delete(queue, handles)
    finally:
        producer.stdin.close()
        try:
            producer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            producer.kill()
            producer.wait()
    return wakes


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
    unit: str  # "msg/s" (more is better), "ms" or "s" (less is better)
    target: float | None  # the emulator's own target, judged below --max-load; None: none
    load_average: float  # 1-minute, when the row ended
    emulator_cpu_us: float | None = None  # the emulator process's CPU per message
    moto_cpu_us: float | None = None
    client_cpu_us: float | None = None  # the CMQ SDK's CPU per message against the emulator
    cpu_note: tuple[str, str] | None = None  # (emulator, moto) CPU cells for a row not per message
    floor_rate: float | None = None  # the CMQ SDK's messages/s against a server that answers at once
    floor_client_us: float | None = None  # the CMQ SDK's CPU per message there: the client's floor
    consumers: int = 0  # 1: the client and the emulator take turns; more: they share the cores

    @property
    def more_is_better(self) -> bool:
        return self.unit == "msg/s"

    @property
    def ahead_of_moto(self) -> bool:
        return self.emulator >= self.moto if self.more_is_better else self.emulator <= self.moto

    def meets_target(self) -> bool | None:
        if self.target is None:
            return None
        return self.emulator >= self.target if self.more_is_better else self.emulator <= self.target

    def verdict(self, max_load: float) -> tuple[bool | None, str]:
        """(passed, why): ahead of moto is judged at any load (same run, same machine); the
        emulator's own target only at or below ``max_load``."""
        if not self.ahead_of_moto:
            return False, "behind moto"
        met = self.meets_target()
        if met is None:
            return True, "ahead of moto"
        beyond = ""
        floor = self.floor_rate
        if not met and floor is not None and self.target is not None and floor < self.target:
            beyond = f"; beyond the client's floor: {self.floor_rate:,.0f} msg/s against an instant server"
        if not met and self.load_average > max_load:  # a load only slows: a target met under it stands
            return None, (f"ahead of moto; not judged: load average {self.load_average:.1f} > {max_load:g}"
                          + beyond)
        return met, "ahead of moto; " + ("target met" if met else "target missed") + beyond

    def floor_text(self) -> str:
        """The client's floor, and what it alone costs at the row's target (or its own rate)."""
        if self.floor_rate is None or self.floor_client_us is None:
            return "-"
        at = self.target if self.target is not None else self.emulator
        head = f"{self.floor_rate:,.0f} msg/s, {self.floor_client_us:.0f} us/msg"
        if self.consumers == 1:  # one call at a time: a share of the time each message may take
            budget = 1e6 / at
            share = self.floor_client_us / budget
            return f"{head} = {share:.0%} of the {budget:,.0f} us per msg at {at:,.0f} msg/s"
        return f"{head} = {self.floor_client_us * at / 1e6:.2f} cores at {at:,.0f} msg/s"

    def cell(self, value: float) -> str:
        if self.unit == "msg/s":
            return f"{value:,.0f} msg/s"
        if self.unit == "ms":
            return f"{value:.2f} ms"
        return f"{value:.3f} s"

    def target_text(self) -> str:
        if self.target is None:
            return "ahead of moto"
        sign = ">=" if self.more_is_better else "<="
        return f"{sign} {self.cell(self.target)}, ahead of moto"


def _cpu(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} us"


def table(rows: Sequence[Row], max_load: float) -> str:
    word = {True: "PASS", False: "FAIL", None: "NOT JUDGED"}
    lines = [
        "| workload | emulator (CMQ SDK) | emulator CPU per msg | CMQ SDK CPU per msg | moto (SQS, boto3) "
        "| moto CPU per msg | emulator / moto | CMQ SDK floor (instant server) | target | result "
        "| load avg |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for row in rows:
        passed, why = row.verdict(max_load)
        emulator_cpu, moto_cpu = row.cpu_note or (_cpu(row.emulator_cpu_us), _cpu(row.moto_cpu_us))
        lines.append(
            f"| {row.workload} | {row.cell(row.emulator)} | {emulator_cpu} "
            f"| {_cpu(row.client_cpu_us)} | {row.cell(row.moto)} "
            f"| {moto_cpu} | {row.emulator / row.moto if row.moto else float('inf'):.2f} "
            f"| {row.floor_text()} | {row.target_text()} | {word[passed]} ({why}) | {row.load_average:.1f} |"
        )
    return "\n".join(lines)


def measure(
    servers: dict[str, Server], services: dict[str, Service], seconds: float, wake_samples: int,
    floor: Service | None = None,
) -> list[Row]:
    rows: list[Row] = []
    for batch, consumers in ROUND_TRIP_ROWS:
        floor_rate = floor_client = None
        if floor is not None:
            mine = time.process_time()
            floor_rate, moved = round_trips(floor, batch, consumers, seconds)
            floor_client = (time.process_time() - mine) / max(moved, 1) * 1e6
            at = TARGETS.get((batch, consumers))
            where = ""
            if at and consumers == 1:
                share = floor_client * at / 1e6
                where = f" = {share:.0%} of the {1e6 / at:,.0f} us per msg at {at:,.0f} msg/s"
            elif at:
                where = f" = {floor_client * at / 1e6:.2f} cores at {at:,.0f} msg/s"
            # The consumers are threads of one process: the GIL gives them one core at most.
            print(f"client floor ({batch} per call, {consumers} consumer(s), instant server): "
                  f"{floor_rate:,.0f} msg/s, {floor_client:.0f} us/msg{where}; one core of it moves "
                  f"at most {1e6 / max(floor_client, 1e-9):,.0f} msg/s", flush=True)
        rates: dict[str, float] = {}
        cpu: dict[str, float] = {}
        client: dict[str, float] = {}
        for name, service in services.items():
            before, mine = cpu_seconds(servers[name].pid), time.process_time()
            rate, messages = round_trips(service, batch, consumers, seconds)
            cpu[name] = (cpu_seconds(servers[name].pid) - before) / max(messages, 1) * 1e6
            client[name] = (time.process_time() - mine) / max(messages, 1) * 1e6
            rates[name] = rate
            print(
                f"{service.name}: {batch} per call, {consumers} consumer(s): {rate:,.0f} msg/s, "
                f"server CPU {cpu[name]:.0f} us per message, client {client[name]:.0f} us, "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )
        plural = "s" if consumers > 1 else ""
        label = f"send/receive/delete, {batch} msg per call, {consumers} consumer{plural}"
        rows.append(
            Row(label, rates["emulator"], rates["moto"], "msg/s", TARGETS.get((batch, consumers)),
                os.getloadavg()[0], cpu["emulator"], cpu["moto"], client["emulator"],
                floor_rate=floor_rate, floor_client_us=floor_client, consumers=consumers)
        )
        target = TARGETS.get((batch, consumers))
        if target is not None and floor_client is not None and consumers == 1:
            # One consumer: each call waits for the other side, so the two CPUs add up in time.
            print(f"  at {target:,.0f} msg/s a message may take {1e6 / target:,.0f} us: client floor "
                  f"{floor_client:.0f} us + emulator {cpu['emulator']:.0f} us = "
                  f"{floor_client + cpu['emulator']:,.0f} us, before the wire", flush=True)
        elif target is not None and floor_client is not None:
            need = (floor_client + cpu["emulator"]) * target / 1e6
            # Each side is one process: its Python runs on one core at a time (the GIL).
            print(f"  at {target:,.0f} msg/s: client floor {floor_client:.0f} us + emulator "
                  f"{cpu['emulator']:.0f} us per message = {need:.2f} cores "
                  f"(the machine has {os.cpu_count()}); one core moves at most "
                  f"{1e6 / max(floor_client, 1e-9):,.0f} msg/s of the client, "
                  f"{1e6 / max(cpu['emulator'], 1e-9):,.0f} msg/s of the emulator", flush=True)
    wakes: dict[str, list[float]] = {}
    for name, service in services.items():
        samples = wake_up_latencies(service, wake_samples)
        wakes[name] = [wake.from_wire for wake in samples]
        calls = [wake.from_call for wake in samples]
        print(f"{service.name}: wake-up from the send reaching the server p50 "
              f"{percentile(wakes[name], 50):.2f} ms, p99 {percentile(wakes[name], 99):.2f} ms; "
              f"from the start of the producer's send call p50 {percentile(calls, 50):.2f} ms, "
              f"p99 {percentile(calls, 99):.2f} ms; load average {os.getloadavg()[0]:.1f}", flush=True)
    load = os.getloadavg()[0]
    for q, target in ((50, None), (99, WAKE_P99_MS)):
        rows.append(Row(f"long-poll wake-up p{q} (from the send reaching the server)",
                        percentile(wakes["emulator"], q), percentile(wakes["moto"], q), "ms", target, load))
    cpu_note = tuple(f"{servers[name].ready_cpu:.2f} s CPU to ready" for name in ("emulator", "moto"))
    rows.insert(0, Row("ready after start (first request answered)", servers["emulator"].ready_seconds,
                       servers["moto"].ready_seconds, "s", READY_SECONDS, load, cpu_note=cpu_note))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per round-trip row (default 3)")
    parser.add_argument(
        "--wake-samples", type=int, default=100, help="wake-up samples per server (default 100)"
    )
    parser.add_argument(
        "--max-load",
        type=float,
        default=MAX_LOAD,
        help="above this 1-minute load average the emulator's own targets are not judged",
    )
    parser.add_argument("--out", type=Path, help="also write the table (markdown) to this file")
    args = parser.parse_args(argv)

    from benchmarks.startup import compile_package

    compile_package()  # as an installed package is: the ready time is not a compile time
    # Both servers run at once and each row measures one right after the other, so a busy
    # machine weighs on both alike.
    with emulator_server() as emulator, moto_server() as moto, floor_server() as floor:
        servers = {"emulator": emulator, "moto": moto}
        services = {"emulator": cmq_service(emulator.url), "moto": sqs_service(moto.url)}
        rows = measure(servers, services, args.seconds, args.wake_samples, cmq_service(floor.url))

    text = table(rows, args.max_load)
    print()
    print(text)
    verdicts = [row.verdict(args.max_load)[0] for row in rows]
    failed = sum(v is False for v in verdicts)
    unjudged = sum(v is None for v in verdicts)
    print(f"\n{'FAIL' if failed else 'PASS'}: {sum(v is True for v in verdicts)} of {len(rows)} rows pass"
          f", {failed} fail, {unjudged} not judged (load average above {args.max_load:g})")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        command = (
            f"python benchmarks/dataplane.py --seconds {args.seconds:g} --wake-samples {args.wake_samples}"
        )
        args.out.write_text(f"`{command}` (2 cores; an emulator target missed above a load average of "
                            f"{args.max_load:g} is not judged)\n\n{text}\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
