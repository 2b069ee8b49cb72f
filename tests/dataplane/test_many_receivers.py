"""100 long polls at once through the unmodified CMQ SDK, each on its own kept-alive connection:
every message sent reaches exactly one of them, in strict delivery."""

from __future__ import annotations

import threading
import time

from cmq.cmq_exception import CMQServerException
from cmq.queue import Message

from cmqinfra.emulator import Emulator

from .conftest import account_for, make_queue

RECEIVERS = 100


def test_a_hundred_waiting_receivers_each_get_one_message(real_emu: Emulator) -> None:
    make_queue(account_for(real_emu), "crowd")
    got: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(RECEIVERS + 1)

    def receiver() -> None:
        queue = account_for(real_emu).get_queue("crowd")
        ready.wait()
        try:
            msg = queue.receive_message(10)
        except CMQServerException:
            return
        queue.delete_message(msg.receiptHandle)
        with lock:
            got.append(msg.msgBody)

    threads = [threading.Thread(target=receiver, daemon=True) for _ in range(RECEIVERS)]
    for thread in threads:
        thread.start()
    ready.wait()
    time.sleep(0.5)  # all of them waiting
    sender = account_for(real_emu).get_queue("crowd")
    for index in range(RECEIVERS):
        sender.send_message(Message(f"m{index}"))
    for thread in threads:
        thread.join(timeout=15)
    assert sorted(got) == sorted(f"m{index}" for index in range(RECEIVERS))
    assert account_for(real_emu).get_queue("crowd").get_attributes().activeMsgNum == 0
