"""The admin endpoints under /_cmqinfra/ over real HTTP, and ``cmqinfra emulator messages|purge|
redrive|reset`` against them (--endpoint) and against a local state file, on messages the
unmodified CMQ SDK sent."""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cmq.account import Account
from cmq.queue import Message

from cmqinfra import admin_auth
from cmqinfra.admin_client import AdminClient, AdminError
from cmqinfra.cli import main
from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator, VirtualClock

from .conftest import account_for, cmq_code, make_queue
from .test_admin_operations import PAYMENTS, SHIPPING, _apply, _dead_letter, _receive_all


def _raw(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(
        url, method=method, headers=headers or {}, data=b"" if method == "POST" else None
    )
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _signed(
    emu: Emulator,
    method: str,
    target: str,
    key: str = DEFAULT_SECRET_KEY,
    when: int | None = None,
    secret_id: str = DEFAULT_SECRET_ID,
) -> tuple[int, dict[str, Any]]:
    header = admin_auth.authorization(
        secret_id, key, method, target, int(time.time()) if when is None else when, b""
    )
    return _raw(emu.url + target, method, {"Authorization": header})


@pytest.fixture
def admin(emu: Emulator) -> AdminClient:
    return AdminClient(emu.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)


def _dead_letters(account: Account, clock: VirtualClock, count: int = 3) -> None:
    """``count`` messages in orders-dead, each dead-lettered from orders after one receive."""
    make_queue(account, "orders-dead")
    source = make_queue(account, "orders", visibilityTimeout=5)
    _dead_letter(account, "orders", "orders-dead", policy=0, maxReceiveCount=1)
    source.batch_send_message([Message(f"m{i}") for i in range(count)])
    assert len(_receive_all(source)) == count
    clock.advance(5)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


# ------------------------------------------------------------------------------------ health, ready


def test_health_is_open_and_served_where_the_emulator_binds(emu: Emulator) -> None:
    status, body = _raw(emu.url + "/_cmqinfra/health")
    assert status == 200
    assert body["status"] == "running" and body["ready"] is True and body["region"] == emu.region
    assert set(body["services"]) == {"tdmq", "cmq", "tag", "sts"}
    assert _raw(emu.url + "/_cmqinfra/health", "POST")[0] == 405
    assert "secret" not in json.dumps(body).lower()


def test_ready_is_503_while_start_up_manifests_apply(emu: Emulator, admin: AdminClient) -> None:
    assert _raw(emu.url + "/_cmqinfra/ready") == (200, {"ready": True})
    emu.admin.hold("applying the start-up manifests")
    assert _raw(emu.url + "/_cmqinfra/ready") == (
        503,
        {"ready": False, "reason": "applying the start-up manifests"},
    )
    assert admin.ready() is False
    assert _raw(emu.url + "/_cmqinfra/health")[1]["ready"] is False  # alive, not ready
    emu.admin.release()
    assert admin.ready() is True


# --------------------------------------------------------------------------------------- signatures


def test_every_data_endpoint_refuses_an_unsigned_call(emu: Emulator, account: Account) -> None:
    make_queue(account, "orders").send_message(Message("secret body"))
    for method, path in [
        ("GET", "/_cmqinfra/queues/orders/messages"),
        ("POST", "/_cmqinfra/queues/orders/purge"),
        ("POST", "/_cmqinfra/queues/orders/redrive"),
        ("POST", "/_cmqinfra/reset"),
    ]:
        status, body = _raw(emu.url + path, method)
        assert (status, body["error"]["code"]) == (401, "AuthFailure.InvalidAuthorization"), path
    assert account.get_queue("orders").receive_message(0).msgBody == "secret body"  # nothing happened


def test_a_signature_proves_the_key_the_path_the_time_and_is_used_once(
    emu: Emulator, account: Account
) -> None:
    make_queue(account, "orders")
    make_queue(account, "other").send_message(Message("keep me"))
    target = "/_cmqinfra/queues/orders/purge"
    assert _signed(emu, "POST", target, key="wrong")[1]["error"]["code"] == "AuthFailure.SignatureFailure"
    assert (
        _signed(emu, "POST", target, secret_id="AKIDOTHER")[1]["error"]["code"]
        == "AuthFailure.SecretIdNotFound"
    )
    stale = int(time.time()) - 301
    assert _signed(emu, "POST", target, when=stale)[1]["error"]["code"] == "AuthFailure.SignatureExpire"
    # A valid signature for one queue does not purge another.
    header = admin_auth.authorization(
        DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, "POST", target, int(time.time()), b""
    )
    moved = _raw(emu.url + "/_cmqinfra/queues/other/purge", "POST", {"Authorization": header})
    assert (moved[0], moved[1]["error"]["code"]) == (401, "AuthFailure.SignatureFailure")
    assert _raw(emu.url + target, "POST", {"Authorization": header}) == (
        200,
        {"queue": "orders", "purged": 0},
    )
    replayed = _raw(emu.url + target, "POST", {"Authorization": header})
    assert (replayed[0], replayed[1]["error"]["code"]) == (401, "AuthFailure.SignatureReplayed")
    assert account.get_queue("other").receive_message(0).msgBody == "keep me"


def test_a_virtual_clock_far_ahead_does_not_break_signing(
    emu: Emulator, admin: AdminClient, account: Account, clock: VirtualClock
) -> None:
    make_queue(account, "orders")
    clock.advance(86400 * 3)
    assert admin.peek("orders")["messages"] == []


def test_unknown_paths_methods_and_queues(emu: Emulator, admin: AdminClient) -> None:
    assert _raw(emu.url + "/_cmqinfra/nothing")[0] == 404
    assert _raw(emu.url + "/_cmqinfra/queues/x/messages", "POST")[0] == 405
    with pytest.raises(AdminError) as missing:
        admin.peek("no-such-queue")
    assert (missing.value.status, missing.value.code) == (404, "ResourceNotFound")
    with pytest.raises(AdminError) as odd:
        admin.purge("../../etc/passwd")
    assert odd.value.status == 404
    assert _signed(emu, "GET", "/_cmqinfra/queues/x/messages?limit=0")[0] == 400


# ------------------------------------------------------------------------------ each operation, HTTP


def test_peek_over_http(emu: Emulator, admin: AdminClient, account: Account) -> None:
    queue = make_queue(account, "orders", visibilityTimeout=60)
    queue.batch_send_message([Message("held"), Message("waiting")])
    queue.send_message(Message("later"), delayTime=30)
    held = queue.receive_message(0)
    answer = admin.peek("orders")
    assert [(m["body"], m["state"], m["dequeueCount"]) for m in answer["messages"]] == [
        ("held", "in-flight", 1),
        ("waiting", "active", 0),
        ("later", "delayed", 0),
    ]
    assert answer["messages"][0]["msgId"] == held.msgId and answer["truncated"] is False
    short = admin.peek("orders", limit=2)
    assert (len(short["messages"]), short["truncated"]) == (2, True)
    assert queue.receive_message(0).msgBody == "waiting"  # peeking consumed nothing


def test_purge_over_http(emu: Emulator, admin: AdminClient, account: Account) -> None:
    queue = make_queue(account, "orders")
    queue.batch_send_message([Message("a"), Message("b")])
    assert admin.purge("orders") == {"queue": "orders", "purged": 2}
    assert cmq_code(queue.receive_message, 0) == 7000


def test_redrive_over_http_moves_each_dead_letter_back_once(
    emu: Emulator, admin: AdminClient, account: Account, clock: VirtualClock
) -> None:
    _dead_letters(account, clock)
    answer = admin.redrive("orders-dead")
    assert (answer["moved"], answer["movedTotal"], answer["inFlight"]) == ({"orders": 3}, 3, 0)
    assert admin.redrive("orders-dead")["movedTotal"] == 0
    assert sorted(m.msgBody for m in _receive_all(account.get_queue("orders"))) == ["m0", "m1", "m2"]
    assert _receive_all(account.get_queue("orders-dead")) == []


def test_reset_over_http(emu: Emulator, admin: AdminClient, account: Account, tmp_path: Path) -> None:
    _apply(emu, tmp_path, "payments", PAYMENTS)
    _apply(emu, tmp_path, "shipping", SHIPPING)
    answer = admin.reset("payments")
    assert (answer["stack"], answer["queues"], answer["topics"]) == (
        "payments",
        ["payments-dead", "payments"],
        ["payment-events"],
    )
    assert account.get_queue("shipping").get_attributes().queueName == "shipping"
    assert _signed(emu, "POST", "/_cmqinfra/reset?stack=")[0] == 400
    assert admin.reset()["queues"] == ["shipping"]
    assert account.list_queue()[0] == 0


# -------------------------------------------------------------------------------- the CLI, endpoint


def test_cli_messages_against_an_endpoint(
    emu: Emulator, account: Account, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = make_queue(account, "orders")
    queue.send_message(Message("hello\x1b[31m red"))
    queue.receive_message(0)
    queue.send_message(Message("second"))
    code, out, _ = cli(capsys, "emulator", "messages", "orders", "--endpoint", emu.url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "queue orders: 2 message(s)"
    assert "in-flight" in lines[2] and "hello\\x1b[31m red" in lines[2]  # a body cannot drive the terminal
    assert "\x1b" not in out
    assert "active" in lines[3] and "second" in lines[3]
    code, out, _ = cli(capsys, "emulator", "messages", "orders", "--endpoint", emu.url, "--format", "json")
    assert [m["body"] for m in json.loads(out)["messages"]] == ["hello\x1b[31m red", "second"]


def test_cli_purge_redrive_reset_against_an_endpoint(
    emu: Emulator, account: Account, clock: VirtualClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _dead_letters(account, clock, count=2)
    code, out, _ = cli(capsys, "emulator", "redrive", "orders-dead", "--endpoint", emu.url)
    assert (code, out) == (0, "redrove 2 message(s) from orders-dead: 2 to orders\n")
    assert cli(capsys, "emulator", "redrive", "orders-dead", "--endpoint", emu.url)[1] == (
        "redrove 0 message(s) from orders-dead\n"
    )
    code, out, _ = cli(capsys, "emulator", "purge", "orders", "--endpoint", emu.url)
    assert (code, out) == (0, "purged 2 message(s) from queue orders\n")
    _apply(emu, tmp_path, "shipping", SHIPPING)
    code, out, _ = cli(capsys, "emulator", "reset", "--stack", "shipping", "--endpoint", emu.url)
    assert (code, out) == (0, "reset stack shipping: deleted 1 queue(s), 0 topic(s)\n  queue shipping\n")
    code, out, _ = cli(capsys, "emulator", "reset", "--endpoint", emu.url)
    assert out.startswith("reset everything: deleted 2 queue(s), 0 topic(s)")
    assert account.list_queue()[0] == 0


def test_cli_names_what_went_wrong_without_a_traceback(
    emu: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "emulator", "purge", "missing", "--endpoint", emu.url)
    assert code == 1 and "ResourceNotFound" in err and "Traceback" not in err
    code, _, err = cli(capsys, "emulator", "purge", "x", "--endpoint", emu.url, "--secret-key", "wrong")
    assert (
        code == 1 and "AuthFailure.SignatureFailure" in err and "wrong" not in err.replace("AuthFailure", "")
    )
    code, _, err = cli(capsys, "emulator", "purge", "x", "--endpoint", "http://127.0.0.1:9")
    assert code == 1 and "no emulator answered at http://127.0.0.1:9" in err


# ----------------------------------------------------------------------------- the CLI, local state


def test_cli_on_the_local_state_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "state" / "emulator.sqlite3"
    clock = VirtualClock(start=float(int(time.time())))
    with Emulator.start(data, rate_limits=False, clock=clock, push_loop=False) as emu:
        account = account_for(emu)
        _dead_letters(account, clock, count=2)
        make_queue(account, "notes").send_message(Message("note"))
        clock.advance(1)
        assert len(emu.backend.peek("orders-dead")) == 2  # settled into the dead-letter queue
    args = ("--data", str(data))
    code, out, _ = cli(capsys, "emulator", "messages", "orders-dead", *args)
    assert code == 0 and out.startswith("queue orders-dead: 2 message(s)") and "dead letter of orders" in out
    assert cli(capsys, "emulator", "redrive", "orders-dead", *args)[1] == (
        "redrove 2 message(s) from orders-dead: 2 to orders\n"
    )
    assert cli(capsys, "emulator", "purge", "notes", *args)[1] == "purged 1 message(s) from queue notes\n"
    assert cli(capsys, "emulator", "reset", *args)[1].startswith("reset everything: deleted 3 queue(s)")
    code, _, err = cli(capsys, "emulator", "messages", "orders", "--data", str(tmp_path / "none.sqlite3"))
    assert code == 1 and "no emulator state at" in err
    assert not (tmp_path / "none.sqlite3").exists()  # looking did not create it


def test_cli_local_state_reaches_what_a_restarted_emulator_sees(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "emulator.sqlite3"
    with Emulator.start(data, rate_limits=False) as emu:
        make_queue(account_for(emu), "q").send_message(Message("x"))
    assert (
        cli(capsys, "emulator", "purge", "q", "--data", str(data))[1] == "purged 1 message(s) from queue q\n"
    )
    with Emulator.start(data, rate_limits=False) as emu:
        assert cmq_code(account_for(emu).get_queue("q").receive_message, 0) == 7000


def test_the_server_invocations_keep_their_meaning(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "emulator", "orders.yaml")
    assert code == 1 and "only taken with --apply" in err
    code, out, _ = cli(capsys, "emulator", "--help")
    assert "--apply" in out and "redrive DLQ" in out


def test_ready_turns_200_only_once_the_start_up_manifests_are_applied(tmp_path: Path) -> None:
    import socket
    import subprocess
    import sys

    from tests.emulator.test_emulator_apply import EXAMPLES, _env, _stop

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cmqinfra",
            "emulator",
            "--fresh",
            "--port",
            str(port),
            "--latency",
            "0.2",
            "--apply",
            str(EXAMPLES / "orders.yaml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        seen: list[int] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not seen or seen[-1] != 200):
            try:
                seen.append(_raw(url + "/_cmqinfra/ready")[0])
            except OSError:
                pass  # not listening yet
            time.sleep(0.05)
        assert 503 in seen and seen[-1] == 200, seen
        queues = AdminClient(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY).peek("orders")  # there once ready
        assert queues["messages"] == []
        assert process.stdout is not None
        assert process.stdout.readline().startswith("applied ")
    finally:
        assert _stop(process) == 0


def test_apply_dir_applies_each_file_and_each_directory_as_a_stack(tmp_path: Path) -> None:
    from tests.emulator.test_emulator_apply import _start, _stop

    folder = tmp_path / "manifests"
    (folder / "shipping").mkdir(parents=True)
    (folder / "payments.yaml").write_text(PAYMENTS)
    (folder / "shipping" / "queues.yml").write_text(SHIPPING)
    (folder / "notes.txt").write_text("not a manifest")
    (folder / "flows.cmqtest.yaml").write_text("tests: []\n")  # flow tests are not stacks
    process, lines = _start("--fresh", "--apply-dir", str(folder))
    try:
        assert (
            lines[0]
            == f"applied {folder / 'payments.yaml'} (stack payments): 4 added, 0 changed, 0 destroyed"
        )
        assert lines[1] == f"applied {folder / 'shipping'} (stack shipping): 1 added, 0 changed, 0 destroyed"
        url = lines[-1].removeprefix("listening on ")
        admin = AdminClient(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
        assert admin.peek("shipping")["messages"] == [] and admin.ready()
    finally:
        assert _stop(process) == 0
    process, lines = _start("--fresh", "--apply-dir", str(tmp_path / "absent"))  # an unmounted folder
    try:
        assert lines == [lines[-1]] and lines[-1].startswith("listening on ")
    finally:
        assert _stop(process) == 0


def test_reset_of_one_project_unit_by_its_stack_tag(capsys: pytest.CaptureFixture[str]) -> None:
    from cmqinfra.testing import local_cmq

    project = Path(__file__).resolve().parents[2] / "examples" / "project"
    with local_cmq() as cmq:
        cmq.apply(project, env="dev")  # payments and orders, names affixed with -dev
        code, out, _ = cli(capsys, "emulator", "reset", "--stack", "orders-dev", "--endpoint", cmq.endpoint)
        assert (code, out) == (
            0,
            "reset stack orders-dev: deleted 1 queue(s), 1 topic(s)\n"
            "  queue orders-dev\n  topic order-events-dev\n",
        )
        assert cmq.peek("payments-dev") == []  # the other unit is untouched
        with pytest.raises(Exception, match="ResourceNotFound"):
            cmq.peek("orders-dev")
        cmq.apply(project, env="dev", stack="orders")  # and the unit applies afresh
        assert cmq.peek("orders-dev") == []


def test_cli_on_a_state_file_a_running_emulator_serves_goes_through_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3
    import threading

    data = tmp_path / "emulator.sqlite3"
    clock = VirtualClock(start=float(int(time.time())))
    with Emulator.start(data, rate_limits=False, clock=clock, push_loop=False) as emu:
        account = account_for(emu)
        _dead_letters(account, clock, count=1)
        assert len(emu.backend.peek("orders-dead")) == 1
        got: list[str] = []
        poller = threading.Thread(
            target=lambda: got.append(account.get_queue("orders").receive_message(20).msgBody)
        )
        poller.start()
        while not emu.backend._conditions.get("orders"):
            time.sleep(0.005)
        code, out, err = cli(capsys, "emulator", "redrive", "orders-dead", "--data", str(data))
        poller.join(timeout=5)
        assert code == 0 and out == "redrove 1 message(s) from orders-dead: 1 to orders\n"
        assert f"through the emulator serving {data} at {emu.url}" in err
        assert got == ["m0"]  # the waiting consumer was woken by the redrive, with virtual time still
    # Stopped: the file is used directly again.
    code, out, err = cli(capsys, "emulator", "purge", "orders", "--data", str(data))
    assert (code, err) == (0, "") and out == "purged 1 message(s) from queue orders\n"
    # A URL left behind by a killed emulator is not trusted.
    with sqlite3.connect(data) as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('serving_url', 'http://127.0.0.1:9')")
    code, out, err = cli(capsys, "emulator", "purge", "orders", "--data", str(data))
    assert (code, err, out) == (0, "", "purged 0 message(s) from queue orders\n")


def test_serving_beyond_loopback_with_the_public_key_is_warned_about() -> None:
    from tests.emulator.test_emulator_apply import _env, _start, _stop

    process, lines = _start("--fresh", "--host", "0.0.0.0")
    try:
        assert lines[-1].startswith("listening on http://0.0.0.0:")
    finally:
        assert _stop(process) == 0
    assert process.stderr is not None
    assert "warning: listening on 0.0.0.0 with the public default key pair" in process.stderr.read()
    process, lines = _start("--fresh", "--host", "0.0.0.0", env=_env(CMQINFRA_EMULATOR_SECRET_KEY="own-key"))
    try:
        assert lines[-1].startswith("listening on ")
    finally:
        assert _stop(process) == 0
    assert process.stderr is not None and "warning" not in process.stderr.read()


def test_clock_over_http_moves_only_a_virtual_clock(
    emu: Emulator, admin: AdminClient, account: Account, clock: VirtualClock, real_emu: Emulator
) -> None:
    queue = make_queue(account, "later")
    queue.send_message(Message("in a minute"), delayTime=60)
    assert admin.time() == {"now": clock.now(), "virtual": True}
    assert admin.advance(59)["now"] == clock.now()
    assert cmq_code(queue.receive_message, 0) == 7000
    admin.advance(1)
    assert queue.receive_message(0).msgBody == "in a minute"
    for bad in ("-1", "nan", "inf", "x", ""):
        assert _signed(emu, "POST", f"/_cmqinfra/clock?advance={bad}")[0] == 400, bad
    assert _signed(emu, "GET", "/_cmqinfra/clock?advance=100")[1]["now"] == clock.now()  # GET never moves it
    assert _raw(emu.url + "/_cmqinfra/clock", "POST")[0] == 401
    wall = AdminClient(real_emu.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    assert wall.time()["virtual"] is False
    with pytest.raises(AdminError) as refused:
        wall.advance(10)
    assert (refused.value.status, refused.value.code) == (409, "FailedOperation")


def test_cli_advance_drives_an_emulator_started_with_a_virtual_clock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    from tests.emulator.test_emulator_apply import _start, _stop

    monkeypatch.chdir(tmp_path)
    process, lines = _start("--fresh", "--virtual-clock")
    try:
        url = lines[-1].removeprefix("listening on ")
        queue = make_queue(
            Account(url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY), "reminders", visibilityTimeout=30
        )
        queue.send_message(Message("in an hour"), delayTime=3600)
        started = time.monotonic()
        cli = [sys.executable, "-m", "cmqinfra", "emulator", "advance", "3600", "--endpoint", url]
        done = subprocess.run(cli, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and done.stdout.startswith("the emulator's clock is now "), done.stderr
        assert queue.receive_message(0).msgBody == "in an hour"
        assert time.monotonic() - started < 30  # an hour of virtual time, seconds of real time
        local = subprocess.run(
            cli[:-2] + ["--data", str(tmp_path / "x.sqlite3")], capture_output=True, text=True
        )
        assert local.returncode == 1 and "no emulator state" in local.stderr
    finally:
        assert _stop(process) == 0
