"""Names a repository (or live state) can hold that must never change a drawing's structure."""

from __future__ import annotations

from cmqinfra.model import DeadLetter, FilterType, Protocol, Queue, Stack, Subscription, Topic

HOSTILE_QUEUE = 'q"]; n0 --> x %% <img src=x onerror=alert(1)>'
HOSTILE_TOPIC = "t}}{{ end\nsubgraph ` <script>alert(2)</script> &amp; #quot;"
HOSTILE_URL = 'http://h.example/a"><svg onload=alert(3)>\\N\\G'
HOSTILE_KEY = 'a.*.b" --> |x| n1; click n1 "javascript:alert(4)"'
HOSTILE_STACK = 'st"] --> end; %%{init: {"theme":"dark"}}%%'


def hostile_stack() -> Stack:
    return Stack(
        name=HOSTILE_STACK,
        queues=(
            Queue(name=HOSTILE_QUEUE, dead_letter=DeadLetter(queue="dlq<b>", max_receive_count=3)),
            Queue(name="dlq<b>"),
            Queue(name="ends in a backslash \\"),  # would escape the closing quote of a DOT string
        ),
        topics=(Topic(name=HOSTILE_TOPIC, filter_type=FilterType.ROUTING_KEY),),
        subscriptions=(
            Subscription(HOSTILE_TOPIC, 'sub"x', Protocol.QUEUE, HOSTILE_QUEUE, binding_keys=(HOSTILE_KEY,)),
            Subscription(HOSTILE_TOPIC, "hook", Protocol.HTTP, HOSTILE_URL, binding_keys=("#",)),
        ),
    )
