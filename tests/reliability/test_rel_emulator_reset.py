"""A client that dies mid-request (a SIGKILLed apply) must not make the emulator print a
traceback: users run it in a terminal or CI log next to the apply that was killed."""

from __future__ import annotations

import re
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

from .cli import cli_env


def test_emulator_prints_no_traceback_when_a_client_resets(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", "--data", str(tmp_path / "e.sqlite3")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        assert proc.stdout is not None
        match = re.search(r":(\d+)$", proc.stdout.readline().strip())
        assert match, "the emulator never said it was listening"
        conn = socket.create_connection(("127.0.0.1", int(match.group(1))))
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST on close
        conn.send(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # half a request, then gone
        conn.close()
        time.sleep(0.5)
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "Traceback (most recent call last)" not in err, err
