"""Two emulators (dev and prod, in different regions) and a repository fixture pointing at them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator

sys.path.insert(0, str(Path(__file__).parent))
from helpers import write  # noqa: E402

REGIONS = {"dev": "ap-guangzhou", "prod": "ap-shanghai"}


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "TENCENTCLOUD_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@pytest.fixture
def emulators(tmp_path: Path) -> Iterator[dict[str, Emulator]]:
    started = {env: Emulator.start(tmp_path / f"{env}.sqlite3", region=region, rate_limits=False)
               for env, region in REGIONS.items()}
    try:
        yield started
    finally:
        for emu in started.values():
            emu.stop()


def project_files(emus: dict[str, Emulator]) -> dict[str, str]:
    return {
        "cmqinfra.yaml": f"""
            version: 1
            variables:
              visibility: {{type: integer, default: 30}}
              team: {{type: string}}
              hook: {{type: string, default: "http://127.0.0.1:9/dev"}}
            environments:
              dev:
                region: {REGIONS["dev"]}
                endpoint: {emus["dev"].url}
                nameSuffix: -dev
                values: {{team: dev-team}}
              prod:
                region: {REGIONS["prod"]}
                endpoint: {emus["prod"].url}
                valueFiles: [environments/prod.yaml]
            stacks:
              payments: {{path: stacks/payments}}
              orders: {{path: stacks/orders}}
              audit: {{path: stacks/audit, environments: [prod]}}
            """,
        "environments/prod.yaml": """
            team: payments-prod
            visibility: 120
            hook: http://127.0.0.1:9/prod
            """,
        # One stack split over two files: the defaults of the first apply to the second.
        "stacks/payments/base.yaml": """
            stack: payments
            defaults:
              queue: {visibilityTimeout: "${var.visibility}", tags: {team: "${var.team}"}}
            queues:
              payments-dead: {}
              payments:
                deadLetter: {queue: payments-dead, maxReceiveCount: 3}
            """,
        "stacks/payments/refunds.yaml": """
            stack: payments
            queues:
              refunds: {tags: {env: "${env.name}"}}
            """,
        "stacks/orders/orders.yaml": """
            stack: orders
            queues:
              orders: {msgRetentionSeconds: 7200}
            topics:
              order-events:
                subscriptions:
                  to-orders: {protocol: queue, endpoint: orders}
                  webhook: {protocol: http, endpoint: "${var.hook}"}
            """,
        "stacks/audit/audit.yaml": """
            stack: audit
            topics:
              audit-log: {}
            """,
    }


@pytest.fixture
def repo(tmp_path: Path, emulators: dict[str, Emulator]) -> Path:
    root = tmp_path / "repo"
    write(root, project_files(emulators))
    return root
