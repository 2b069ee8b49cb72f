"""What the data plane's faster paths must keep: unique message ids and receipts through the CMQ
SDK, and the HTTP/1.1 handling the emulator now does itself (headers, one-write replies, keep-alive,
refusals) over a raw socket."""

from __future__ import annotations

import re
import socket

from cmq.account import Account
from cmq.queue import Message

from cmqinfra.emulator import Emulator
from tests.dataplane.conftest import make_queue


def test_message_ids_and_receipts_are_unique_through_the_sdk(account: Account) -> None:
    queue = make_queue(account, "ids", visibilityTimeout=60)
    ids: list[str] = []
    for _ in range(10):
        ids += [m.msgId for m in queue.batch_send_message([Message(f"m{i}") for i in range(16)])]
    assert len(set(ids)) == 160
    assert all(re.fullmatch(r"[0-9A-F]{32}", i) for i in ids)
    handles = [m.receiptHandle for m in queue.batch_receive_message(16, 0)]
    tokens = [h.split(":", 1)[1] for h in handles]
    assert len(handles) == 16 and len(set(tokens)) == 16  # one draw, sliced: no two alike
    assert all(re.fullmatch(r"[0-9a-f]{16}", t) for t in tokens)
    queue.batch_delete_message(handles)


def exchange(emu: Emulator, raw: bytes, replies: int = 1) -> list[bytes]:
    """Send ``raw`` on one connection; the replies read back (each by its Content-Length)."""
    with socket.create_connection((emu.host, emu.port), timeout=5) as conn:
        conn.sendall(raw)
        stream = conn.makefile("rb")
        out = []
        for _ in range(replies):
            status = stream.readline()
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = stream.read(int(headers.get("content-length", "0")))
            out.append(status + b"".join(f"{k}: {v}\n".encode() for k, v in headers.items()) + b"\n" + body)
        return out


def test_two_requests_on_one_connection_each_get_one_whole_reply(emu: Emulator) -> None:
    request = (
        b"POST /v2/index.php HTTP/1.1\r\nHost: x\r\nCONTENT-TYPE: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 16\r\n\r\nAction=ListQueue"
    )
    first, second = exchange(emu, request + request, replies=2)
    for reply in (first, second):
        assert reply.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"content-type: application/json\n" in reply and b"date: " in reply
        assert b'"code": 4000' in reply  # no SecretId: refused by the door, but answered whole


def test_a_header_line_without_a_colon_is_a_bad_request(emu: Emulator) -> None:
    (reply,) = exchange(emu, b"POST / HTTP/1.1\r\nHost x\r\nContent-Length: 0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 ")


def test_too_many_headers_are_refused(emu: Emulator) -> None:
    headers = b"".join(b"X-%d: v\r\n" % i for i in range(101))
    (reply,) = exchange(emu, b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert reply.startswith(b"HTTP/1.1 431 ")


def test_connection_close_is_honoured(emu: Emulator) -> None:
    request = (
        b"POST /v2/index.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 16\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\nAction=ListQueue"
    )
    with socket.create_connection((emu.host, emu.port), timeout=5) as conn:
        conn.sendall(request)
        data = b""
        while chunk := conn.recv(65536):  # the server closes: recv ends
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close\r\n" in data


def test_an_http_1_0_request_is_still_served(emu: Emulator) -> None:
    (reply,) = exchange(emu, b"GET / HTTP/1.0\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK")
