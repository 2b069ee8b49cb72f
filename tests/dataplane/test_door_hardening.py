"""The CMQ door refuses what it cannot authenticate or delimit: an empty or malformed Signature, a
Timestamp outside the window, a replayed Nonce; both doors decode chunked bodies (never serving
one as a second request); the emulator's secret key can come from the environment."""

from __future__ import annotations

import http.client
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from cmq.account import Account
from cmq.queue import Message

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator, Faults
from cmqinfra.emulator.cmq_door import PATH, form_signature, string_to_sign

from .conftest import account_for, make_queue
from .test_hostile import raw


def _signed(emu: Emulator, params: dict[str, str], **overrides: str) -> dict[str, str]:
    full = {
        "SecretId": DEFAULT_SECRET_ID,
        "Nonce": str(random.randint(1, 2**62)),
        "Timestamp": str(int(time.time())),
        "SignatureMethod": "HmacSHA256",
        **params,
        **overrides,
    }
    full["Signature"] = form_signature(
        DEFAULT_SECRET_KEY, string_to_sign("POST", emu.endpoint, PATH, full, False), "HmacSHA256"
    )
    return full


def _send(emu: Emulator, body: str) -> dict[str, str]:
    return _signed(emu, {"Action": "SendMessage", "queueName": "door", "msgBody": body})


def _active(emu: Emulator) -> int:
    return int(account_for(emu).get_queue("door").get_attributes().activeMsgNum)


@pytest.mark.parametrize(
    "signature", ["", "   ", "not base64!", "QUJD", "A" * 27 + "=", "%00", "C16WEtEXsD5v5tnaUMLAbZewXhI="]
)
def test_an_empty_malformed_or_wrong_signature_is_refused_and_nothing_is_sent(
    real_emu: Emulator, signature: str
) -> None:
    make_queue(account_for(real_emu), "door")
    form = {**_send(real_emu, "forged"), "Signature": signature}
    status, reply = raw(real_emu, urlencode(form))
    assert status == 200 and reply["code"] in (4000, 4100), reply
    assert _active(real_emu) == 0


def test_a_signed_request_is_served_once(real_emu: Emulator) -> None:
    make_queue(account_for(real_emu), "door")
    body = urlencode(_send(real_emu, "once"))
    assert raw(real_emu, body)[1]["code"] == 0
    for _ in range(3):
        status, reply = raw(real_emu, body)
        assert (reply["code"], reply["message"][:7]) == (4100, "(10030)")
        assert "replay" in reply["message"]
    assert _active(real_emu) == 1


def test_a_timestamp_outside_five_minutes_is_refused(real_emu: Emulator) -> None:
    make_queue(account_for(real_emu), "door")
    now = int(time.time())
    for stale in (now - 301, now + 301, 1):
        reply = raw(real_emu, urlencode(_send(real_emu, "late") | {}))[1]  # a fresh one works
        assert reply["code"] == 0
        form = _signed(real_emu, {"Action": "SendMessage", "queueName": "door", "msgBody": "x"},
                       Timestamp=str(stale))
        reply = raw(real_emu, urlencode(form))[1]
        assert reply["code"] == 4100 and "expired" in reply["message"]
    for missing in ("Timestamp", "Nonce"):
        form = _send(real_emu, "x")
        del form[missing]
        form["Signature"] = form_signature(
            DEFAULT_SECRET_KEY, string_to_sign("POST", real_emu.endpoint, PATH, form, False), "HmacSHA256"
        )
        assert raw(real_emu, urlencode(form))[1]["message"].startswith("(10010)")
    assert _active(real_emu) == 3


def test_the_unmodified_sdk_retry_of_a_dropped_request_is_not_a_replay(real_emu: Emulator) -> None:
    # The SDK resends the very same signed request (same Nonce) when its connection answers
    # nothing; the dropped one was never served, so the resend is served, once.
    account = account_for(real_emu)
    queue = make_queue(account, "door")
    seed = next(s for s in range(1000) if _draws(s) == [True, False])  # drop, then serve
    real_emu.faults = Faults(drop_connection_rate=0.5, seed=seed, actions=frozenset({"SendMessage"}))
    queue.send_message(Message("once"))
    real_emu.faults = Faults()
    assert [m.msgBody for m in queue.batch_receive_message(16, 0)] == ["once"]


def _draws(seed: int) -> list[bool]:
    rng = random.Random(seed)
    return [rng.random() < 0.5 for _ in range(2)]


# -------------------------------------------------------------------------------------- chunked


def _chunked(body: bytes, sizes: int = 7) -> bytes:
    out = b""
    for start in range(0, len(body), sizes):
        piece = body[start : start + sizes]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def _exchange(emu: Emulator, payload: bytes) -> bytes:
    with socket.create_connection((emu.host, emu.port), timeout=5) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_a_chunked_cmq_request_is_decoded_and_served_once(real_emu: Emulator) -> None:
    make_queue(account_for(real_emu), "door")
    body = urlencode(_send(real_emu, "chunked")).encode()
    head = (f"POST {PATH} HTTP/1.1\r\nHost: {real_emu.endpoint}\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    answer = _exchange(real_emu, head + _chunked(body))
    assert answer.count(b"HTTP/1.1 ") == 1 and b'"code": 0' in answer
    assert _active(real_emu) == 1


def test_a_chunked_body_is_never_served_as_a_second_request(real_emu: Emulator) -> None:
    # The body of a chunked request is itself a complete signed request: read as a second request
    # on the keep-alive connection, it would send a message.
    make_queue(account_for(real_emu), "door")
    inner = urlencode(_send(real_emu, "smuggled")).encode()
    smuggled = (f"POST {PATH} HTTP/1.1\r\nHost: {real_emu.endpoint}\r\n"
                f"Content-Length: {len(inner)}\r\n\r\n").encode() + inner
    for coding in ("chunked", "gzip, chunked", "identity"):
        head = (f"POST {PATH} HTTP/1.1\r\nHost: {real_emu.endpoint}\r\n"
                f"Transfer-Encoding: {coding}\r\n\r\n").encode()
        answer = _exchange(real_emu, head + _chunked(smuggled) if coding == "chunked" else head + smuggled)
        assert answer.count(b"HTTP/1.1 ") == 1, answer
    assert _active(real_emu) == 0


def test_the_api3_door_decodes_chunked_bodies_too(real_emu: Emulator) -> None:
    from tencentcloud.common import credential
    from tencentcloud.common.sign import Sign  # noqa: F401 - the SDK is present; we sign by hand below

    from cmqinfra.emulator.signing import SignedRequest, signature

    body = b'{"QueueName": "chunky"}'
    stamp = str(int(time.time()))
    date = time.strftime("%Y-%m-%d", time.gmtime(int(stamp)))
    headers = {"content-type": "application/json", "host": real_emu.endpoint}
    sig = signature(DEFAULT_SECRET_KEY, date, "tdmq", stamp,
                    SignedRequest("POST", "", headers, body), "content-type;host")
    assert credential  # imported to keep the SDK dependency explicit
    head = (
        f"POST / HTTP/1.1\r\nHost: {real_emu.endpoint}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\nX-TC-Action: CreateCmqQueue\r\nX-TC-Version: 2020-02-17\r\n"
        f"X-TC-Region: {real_emu.region}\r\nX-TC-Timestamp: {stamp}\r\n"
        f"Authorization: TC3-HMAC-SHA256 Credential={DEFAULT_SECRET_ID}/{date}/tdmq/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={sig}\r\n\r\n"
    ).encode()
    answer = _exchange(real_emu, head + _chunked(body))
    assert answer.count(b"HTTP/1.1 ") == 1 and b"QueueId" in answer, answer
    conn = http.client.HTTPConnection(real_emu.host, real_emu.port, timeout=5)
    conn.request("POST", "/", body=b"{}", headers={"Transfer-Encoding": "chunked", "Content-Length": "2"})
    assert conn.getresponse().status == 400


# --------------------------------------------------------------------------------- the secret key


def test_the_secret_key_can_come_from_the_environment_and_stays_out_of_ps(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy")}
    env["CMQINFRA_EMULATOR_SECRET_KEY"] = "env-only-key-7f3a"
    process = subprocess.Popen(
        [sys.executable, "-m", "cmqinfra", "emulator", "--port", "0", "--fresh"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = line.strip().removeprefix("listening on ")
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert b"env-only-key-7f3a" not in cmdline
        good = Account(url, DEFAULT_SECRET_ID, "env-only-key-7f3a")
        make_queue(good, "envq")
        from cmq.cmq_exception import CMQServerException

        with pytest.raises(CMQServerException) as info:
            Account(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY).get_queue("envq").get_attributes()
        assert info.value.code == 4100
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert "env-only-key-7f3a" not in out + err
