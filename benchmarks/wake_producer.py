"""The sending side of benchmarks/dataplane.py's wake-up measure, in a process of its own.

    python -m benchmarks.wake_producer cmq|sqs URL QUEUE

For each line read on stdin (a message body) it sends that body to QUEUE through the row's client
(the CMQ SDK or boto3) and prints ``CALL WIRE``: ``time.monotonic()`` when the send call began and
when its request's last bytes were handed to the socket (the moment the send reaches the server
on loopback). CLOCK_MONOTONIC is one clock for every process on the machine, so the waiting
receiver's process compares its own readings with these.

A process of its own, as a second application would be: the receiver's process then has nothing
to do but wait, and the producer's own work (building and signing the request, reading its reply)
takes no turn of the receiver's interpreter lock.
"""

from __future__ import annotations

import http.client
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

_last_write = [0.0]
_send = http.client.HTTPConnection.send


def _timed_send(self: http.client.HTTPConnection, data: Any) -> None:
    # Both clients write through here: the CMQ SDK's connection subclasses http.client's, and so
    # does urllib3's (boto3), which sends headers and body with this method.
    _send(self, data)
    _last_write[0] = time.monotonic()


def main(argv: list[str]) -> int:
    kind, url, queue = argv
    from benchmarks.dataplane import cmq_service, sqs_service

    http.client.HTTPConnection.send = _timed_send  # type: ignore[method-assign]
    client = (cmq_service if kind == "cmq" else sqs_service)(url).client()
    client.receive(queue, 1, 0)  # connect and resolve the queue before the first sample
    print("ready", flush=True)
    for line in sys.stdin:
        began = time.monotonic()
        client.send(queue, [line.rstrip("\n")])
        print(f"{began!r} {_last_write[0]!r}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
