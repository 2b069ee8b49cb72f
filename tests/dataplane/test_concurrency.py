"""With 8 concurrent consumers no message is handed to two of them within one visibility window."""

from __future__ import annotations

import threading
from collections import Counter

from cmq.cmq_exception import CMQServerException
from cmq.queue import Message

from cmqinfra.emulator import Emulator

from .conftest import account_for, make_queue

MESSAGES = 400
CONSUMERS = 8


def test_eight_consumers_never_share_a_message_within_a_window(real_emu: Emulator) -> None:
    producer = make_queue(account_for(real_emu), "shared", visibilityTimeout=300)
    for start in range(0, MESSAGES, 16):
        producer.batch_send_message([Message(f"m{i}") for i in range(start, min(start + 16, MESSAGES))])
    seen: list[list[str]] = [[] for _ in range(CONSUMERS)]
    barrier = threading.Barrier(CONSUMERS)

    def consume(index: int) -> None:
        queue = account_for(real_emu).get_queue("shared")  # one connection per consumer
        barrier.wait()
        while True:
            try:
                batch = queue.batch_receive_message(3, 1)
            except CMQServerException as error:
                assert error.code == 7000
                return
            seen[index].extend(m.msgBody for m in batch)
            if sum(map(len, seen)) > 2 * MESSAGES:  # messages handed out again and again: stop
                return

    threads = [threading.Thread(target=consume, args=(i,)) for i in range(CONSUMERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    counts = Counter(body for bodies in seen for body in bodies)
    assert sorted(counts) == sorted(f"m{i}" for i in range(MESSAGES))
    assert max(counts.values()) == 1, [b for b, n in counts.items() if n > 1][:10]
    assert sum(1 for bodies in seen if bodies) >= 2  # the consumers really ran side by side
