"""One store for both front doors: what `cmqinfra apply --local` created carries SDK messages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from cmq.queue import Message
from cmq.topic import Message as TopicMessage
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.tdmq.v20200217 import tdmq_client as tdmq_module

from cmqinfra.cloud.target import LOCAL_STATE
from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

from .conftest import account_for, api3

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "order-events.yaml"


def test_apply_local_queues_and_topic_carry_sdk_messages(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "stack.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENCENTCLOUD")}
    applied = subprocess.run(
        [sys.executable, "-m", "cmqinfra", "apply", "stack.yaml", "--local", "--auto-approve"],
        cwd=tmp_path,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
    )
    assert applied.returncode == 0, applied.stdout + applied.stderr

    with Emulator.start(tmp_path / LOCAL_STATE, rate_limits=False) as emu:
        account = account_for(emu)
        topic = account.get_topic("order-events")
        topic.publish_message(TopicMessage("order 1 paid"), routingKey="order.eu.paid")
        topic.publish_message(TopicMessage("order 2 created"), routingKey="order.eu.created")
        account.get_queue("billing").send_message(Message("direct"), delayTime=30)

        cred = credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint))
        tdmq = tdmq_module.TdmqClient(cred, emu.region, profile)

        def detail(name: str) -> dict:  # type: ignore[type-arg]
            return api3(tdmq, "DescribeCmqQueueDetail", {"QueueName": name})["QueueDescribe"]

        assert (detail("billing")["ActiveMsgNum"], detail("billing")["DelayMsgNum"]) == (1, 1)
        assert detail("shipping")["ActiveMsgNum"] == 1
        assert detail("analytics")["ActiveMsgNum"] == 2
        received = account.get_queue("shipping").receive_message(0)
        assert received.msgBody == "order 1 paid"
        assert (detail("shipping")["ActiveMsgNum"], detail("shipping")["InactiveMsgNum"]) == (0, 1)
        # the queue keeps the manifest's settings: visibilityTimeout 60 from the stack's defaults
        assert received.nextVisibleTime - received.firstDequeueTime == 60
