"""Run calls through the Node.js Tencent Cloud SDK (tests/clients/node) against an emulator."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

NODE_DIR = Path(__file__).parent / "node"
SDK_DIR = NODE_DIR / "node_modules" / "tencentcloud-sdk-nodejs"
INSTALL = ".ci/install-node-clients.sh"


def require_node_sdk() -> str:
    """The node binary, or a skip saying why it cannot run here. In CI, where the install script
    has run, a node without the package is a missing install step: fail instead of skipping."""
    node = shutil.which("node")
    if node is None:
        pytest.skip(f"node is not installed here (run {INSTALL}, which installs it where apt-get can)")
    if not SDK_DIR.is_dir():
        message = f"tencentcloud-sdk-nodejs is not installed in {NODE_DIR} (run {INSTALL})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return node


def run_node(
    emu: Emulator,
    calls: list[dict[str, Any]],
    *,
    method: str = "POST",
    secret_key: str = DEFAULT_SECRET_KEY,
    endpoint: str | None = None,
) -> list[dict[str, Any]]:
    node = require_node_sdk()
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    completed = subprocess.run(
        [
            node,
            str(NODE_DIR / "tdmq_calls.js"),
            endpoint or emu.endpoint,
            emu.region,
            DEFAULT_SECRET_ID,
            secret_key,
            method,
        ],
        input=json.dumps(calls),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
