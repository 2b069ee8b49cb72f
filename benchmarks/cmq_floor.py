"""The CMQ SDK's own floor: a server that answers every CMQ message call at once, with replies of
the emulator's shape, so that what the client spends per message is the client alone.

    python -m benchmarks.cmq_floor          # prints "listening on http://127.0.0.1:PORT"

One thread, one ``selectors`` loop, canned bytes: it reads a request (headers, then the body by
Content-Length), looks only at ``Action`` and ``numOfMsg``/``msgBody.N`` counts, and writes the
reply in one ``send``. No signature check, no store. benchmarks/dataplane.py runs its round trips
against it to report the client's CPU per message beside the emulator's.
"""

from __future__ import annotations

import json
import selectors
import socket
import sys

_RECEIPT = "{seq}:0123456789abcdef"


def _message(seq: int) -> dict[str, object]:
    return {
        "msgBody": f"message 0 {seq % 16}",
        "msgId": f"{seq:032X}",
        "receiptHandle": _RECEIPT.format(seq=seq),
        "enqueueTime": 1_700_000_000,
        "firstDequeueTime": 1_700_000_000,
        "nextVisibleTime": 1_700_000_030,
        "dequeueCount": 1,
    }


def _envelope(**fields: object) -> bytes:
    body = json.dumps({"code": 0, "message": "", "requestId": "00000000-0000-4000-8000-000000000000",
                       **fields}).encode()
    return (
        b"HTTP/1.1 200 OK\r\nServer: cmq-floor\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )


def _replies() -> dict[tuple[bytes, int], bytes]:
    """(action, count) -> the whole HTTP reply; counts 1..16 for the batch actions."""
    replies = {
        (b"SendMessage", 1): _envelope(msgId="0" * 32),
        (b"ReceiveMessage", 1): _envelope(**_message(1)),
        (b"DeleteMessage", 1): _envelope(),
    }
    for count in range(1, 17):
        ids = [{"msgId": f"{i:032X}"} for i in range(count)]
        replies[(b"BatchSendMessage", count)] = _envelope(msgList=ids)
        replies[(b"BatchReceiveMessage", count)] = _envelope(msgInfoList=[_message(i) for i in range(count)])
        replies[(b"BatchDeleteMessage", count)] = _envelope()
    return replies


REPLIES = _replies()
OTHER = _envelope(queueId="queue-floor")  # CreateQueue and anything else: a plain success


def answer(body: bytes) -> bytes:
    fields = dict(part.split(b"=", 1) for part in body.split(b"&") if b"=" in part)
    action = fields.get(b"Action", b"")
    if action == b"BatchReceiveMessage":
        count = int(fields.get(b"numOfMsg", b"1"))
    elif action == b"BatchSendMessage":
        count = sum(name.startswith(b"msgBody.") for name in fields)
    elif action == b"BatchDeleteMessage":
        count = sum(name.startswith(b"receiptHandle.") for name in fields)
    else:
        count = 1
    return REPLIES.get((action, count), OTHER)


def serve(listener: socket.socket) -> None:
    selector = selectors.DefaultSelector()
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ)
    buffers: dict[socket.socket, bytes] = {}
    while True:
        for key, _ in selector.select():
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock is listener:
                connection, _ = listener.accept()
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                selector.register(connection, selectors.EVENT_READ)
                buffers[connection] = b""
                continue
            try:
                data = sock.recv(1 << 20)
            except OSError:
                data = b""
            if not data:
                selector.unregister(sock)
                buffers.pop(sock, None)
                sock.close()
                continue
            pending = buffers[sock] + data
            while True:
                head_end = pending.find(b"\r\n\r\n")
                if head_end < 0:
                    break
                length = 0
                for line in pending[:head_end].split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                end = head_end + 4 + length
                if len(pending) < end:
                    break
                sock.sendall(answer(pending[head_end + 4:end]))
                pending = pending[end:]
            buffers[sock] = pending


def main() -> int:
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    print(f"listening on http://127.0.0.1:{listener.getsockname()[1]}", flush=True)
    try:
        serve(listener)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
