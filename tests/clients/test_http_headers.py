"""What every client sees on the wire regardless of its SDK."""

from __future__ import annotations

import http.client

from cmqinfra.emulator import Emulator


def test_server_header_has_no_trailing_space(emulator: Emulator) -> None:
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        conn.request("POST", "/", body=b"{}", headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.getheader("Server") == "cmqinfra-emulator"
