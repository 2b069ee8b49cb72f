"""The same application under unittest, on ``cmqinfra.testing.local_cmq`` (any runner works).

python -m unittest discover -s tests_unittest
"""

from __future__ import annotations

import json
import unittest
from pathlib import Path

from orders_app.consumer import OrderConsumer
from orders_app.producer import OrderProducer

from cmqinfra.testing import local_cmq

APP = Path(__file__).resolve().parents[1]


class OrdersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls._local = local_cmq("infra/orders.yaml", root=APP)  # one emulator for the class
        cls.cmq = cls._local.__enter__()

    @classmethod
    def tearDownClass(cls) -> None:
        cls._local.__exit__(None, None, None)

    def setUp(self) -> None:
        self.cmq.reset()  # each test: the manifests, no messages
        self.producer = OrderProducer(self.cmq.endpoint, self.cmq.secret_id, self.cmq.secret_key)
        self.consumer = OrderConsumer(self.cmq.endpoint, self.cmq.secret_id, self.cmq.secret_key)

    def test_an_order_is_processed(self) -> None:
        self.producer.place("A1", "eu", 25)
        seen: list[dict] = []
        self.assertEqual(self.consumer.poll_once(seen.append), 1)
        self.assertEqual(seen, [{"order": "A1", "amount": 25}])

    def test_starts_empty(self) -> None:
        self.assertEqual(self.cmq.peek("orders"), [])

    def test_a_failing_order_ends_in_the_dead_letter_queue(self) -> None:
        self.producer.place("B2", "us", 99)

        def broken(order: dict) -> None:
            raise RuntimeError("down")

        for _ in range(3):
            self.consumer.poll_once(broken)
            self.cmq.advance(30)
        self.consumer.poll_once(broken)
        [dead] = self.cmq.peek("orders-dead")
        self.assertEqual(json.loads(dead.body)["order"], "B2")


if __name__ == "__main__":
    unittest.main()
