"""Hostile input to the CMQ door gets a documented error code, never a crash; plus a fuzz."""

from __future__ import annotations

import http.client
import json
import random
import time
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from cmqinfra.emulator.cmq_door import PATH, form_signature, string_to_sign

from .conftest import account_for, make_queue

DOCUMENTED = {
    0,
    4000,
    4100,
    4400,
    4410,
    4420,
    4430,
    4440,
    4460,
    4470,
    4490,
    4500,
    4510,
    6000,
    6010,
    6020,
    6030,
    6050,
    7000,
}


def raw(
    emu: Emulator,
    body: bytes | str,
    method: str = "POST",
    path: str = PATH,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:  # type: ignore[type-arg]
    conn = http.client.HTTPConnection(emu.host, emu.port, timeout=10)
    data = body.encode() if isinstance(body, str) else body
    conn.request(method, path, body=data if method != "GET" else None, headers=headers or {})
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response.status, json.loads(payload)


def signed(emu: Emulator, params: dict[str, str], method: str = "POST", key: str = DEFAULT_SECRET_KEY) -> str:
    full = {
        "SecretId": DEFAULT_SECRET_ID,
        "Nonce": str(random.randint(1, 2**31)),
        "Timestamp": str(int(time.time())),
        "SignatureMethod": "HmacSHA256",
        **params,
    }
    full["Signature"] = form_signature(
        key, string_to_sign(method, emu.endpoint, PATH, full, False), "HmacSHA256"
    )
    return urlencode(full)


def test_signature_test_vector_of_the_docs() -> None:
    text = (
        "POSTcmq-queue-gz.api.tencentyun.com/v2/index.php?Action=SendMessage&Nonce=2889712707386595659"
        "&RequestClient=SDK_Python_1.3&SecretId=AKIDPcYDclDJCn8D0Xypa4f3pKYUCVYLn3zT&SignatureMethod=HmacSHA1"
        "&Timestamp=1534154812&clientRequestId=1231231231&delaySeconds=0&msgBody=msg&queueName=test1"
    )
    assert (
        form_signature("pPgfLipfEXZ7VcRzhAMIyPaU7UbQyFFx", text, "HmacSHA1") == "C16WEtEXsD5v5tnaUMLAbZewXhI="
    )


def test_bad_signatures_and_keys(real_emu: Emulator) -> None:
    good = signed(real_emu, {"Action": "ListQueue"})
    assert raw(real_emu, good)[1]["code"] == 0
    assert raw(real_emu, signed(real_emu, {"Action": "ListQueue"}, key="wrong"))[1]["code"] == 4100
    tampered = good.replace("Action=ListQueue", "Action=ListTopic")
    assert raw(real_emu, tampered)[1]["code"] == 4100
    assert raw(real_emu, good.replace(f"SecretId={DEFAULT_SECRET_ID}", "SecretId=XYZ"))[1][
        "message"
    ].startswith("(10450)")
    assert raw(real_emu, "Action=ListQueue")[1]["code"] == 4000  # unsigned
    assert raw(real_emu, signed(real_emu, {"Action": "NoSuchThing"}))[1]["message"].startswith("(10430)")


def test_get_queries_and_the_go_sdk_root_path_are_served(real_emu: Emulator) -> None:
    query = signed(real_emu, {"Action": "ListQueue"}, method="GET")
    assert raw(real_emu, b"", method="GET", path=f"{PATH}?{query}")[1]["code"] == 0
    now = str(int(time.time()))
    full = {"SecretId": DEFAULT_SECRET_ID, "Nonce": "1", "Timestamp": now, "Action": "ListQueue"}
    full["Signature"] = form_signature(
        DEFAULT_SECRET_KEY, string_to_sign("POST", real_emu.endpoint, "/", full, False), "HmacSHA1"
    )
    status, reply = raw(
        real_emu, urlencode(full), path="/", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert (status, reply["code"]) == (200, 0)


def test_malformed_forms_huge_batches_and_binary_bodies(real_emu: Emulator) -> None:
    make_queue(account_for(real_emu), "target")
    cases = {
        "binary body": (b"\xff\xfe\x00garbage\x80", 4000),
        "repeated parameter": (signed(real_emu, {"Action": "ListQueue"}) + "&Action=ListQueue", 4000),
        "17 messages": (
            signed(
                real_emu,
                {
                    "Action": "BatchSendMessage",
                    "queueName": "target",
                    **{f"msgBody.{i}": "x" for i in range(1, 18)},
                },
            ),
            4000,
        ),
        "gap in the list": (
            signed(
                real_emu,
                {"Action": "BatchSendMessage", "queueName": "target", "msgBody.1": "a", "msgBody.3": "b"},
            ),
            4000,
        ),
        "text for a number": (
            signed(
                real_emu,
                {"Action": "SendMessage", "queueName": "target", "msgBody": "a", "delaySeconds": "soon"},
            ),
            4000,
        ),
        "missing queue": (
            signed(real_emu, {"Action": "SendMessage", "queueName": "nope", "msgBody": "a"}),
            4440,
        ),
        "bad handle": (
            signed(
                real_emu, {"Action": "DeleteMessage", "queueName": "target", "receiptHandle": "\x00\x01zz"}
            ),
            4430,
        ),
        "broken dead-letter JSON": (
            signed(
                real_emu,
                {"Action": "SetQueueAttributes", "queueName": "target", "deadLetterPolicy": "{not json"},
            ),
            4000,
        ),
    }
    for name, (body, code) in cases.items():
        status, reply = raw(real_emu, body)
        assert (status, reply["code"]) == (200, code), (name, reply)
        assert isinstance(reply["requestId"], str) and reply["message"]
    thousands = "&".join(f"msgBody.{i}=x" for i in range(1, 5001))
    status, reply = raw(real_emu, thousands)
    assert (status, reply["code"]) == (200, 4000), reply
    status, reply = raw(real_emu, b"x" * (2 * 1024 * 1024))
    assert (status, reply["code"]) == (200, 4000) and reply["message"].startswith("(10420)")
    status, reply = raw(real_emu, b"", method="PUT")
    assert reply["code"] == 4000
    assert raw(real_emu, signed(real_emu, {"Action": "ListQueue"}))[1]["code"] == 0  # still serving


_names = st.sampled_from(
    [
        "Action",
        "queueName",
        "msgBody",
        "msgBody.1",
        "msgBody.0",
        "msgBody.x",
        "receiptHandle.1",
        "numOfMsg",
        "pollingWaitSeconds",
        "delaySeconds",
        "topicName",
        "msgTag.1",
        "routingKey",
        "deadLetterPolicy",
        "Signature",
        "SecretId",
    ]
)
_actions = st.sampled_from(
    [
        "SendMessage",
        "BatchSendMessage",
        "ReceiveMessage",
        "BatchReceiveMessage",
        "DeleteMessage",
        "BatchDeleteMessage",
        "PublishMessage",
        "CreateQueue",
        "SetQueueAttributes",
        "RewindQueue",
        "Subscribe",
        "xx",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    action=_actions,
    params=st.dictionaries(_names, st.text(max_size=40), max_size=8),
    sign=st.booleans(),
    noise=st.binary(max_size=64),
)
def test_fuzz_the_form_door(
    real_emu: Emulator, action: str, params: dict[str, str], sign: bool, noise: bytes
) -> None:
    params = {**params, "Action": action, "pollingWaitSeconds": "0"}
    params.pop("Signature", None)
    params.pop("SecretId", None)
    body = signed(real_emu, params).encode() if sign else urlencode(params).encode() + noise
    status, reply = raw(real_emu, body)
    assert status == 200
    assert isinstance(reply["code"], int) and reply["code"] in DOCUMENTED, reply
    assert isinstance(reply["message"], str) and isinstance(reply["requestId"], str)
    assert "internal error" not in reply["message"], reply  # a crash caught, not a documented answer


def test_a_default_port_left_out_of_the_host_header_still_verifies(real_emu: Emulator) -> None:
    # The Python SDK signs "host:80" but sends "Host: host" for an endpoint with an explicit :80.
    now = str(int(time.time()))
    full = {"SecretId": DEFAULT_SECRET_ID, "Nonce": "7", "Timestamp": now, "Action": "ListQueue"}
    full["Signature"] = form_signature(
        DEFAULT_SECRET_KEY, string_to_sign("POST", "cmq.example:80", PATH, full, False), "HmacSHA1"
    )
    assert raw(real_emu, urlencode(full), headers={"Host": "cmq.example"})[1]["code"] == 0
    assert raw(real_emu, urlencode(full), headers={"Host": "other.example"})[1]["code"] == 4100
