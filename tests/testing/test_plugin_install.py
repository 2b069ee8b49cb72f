"""The plugin as another project meets it: an ini option for manifests every test gets, errors
said without a traceback, nothing loaded until a test asks for ``cmq``; and ``local_cmq`` for
other runners."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cmq.account import Account
from cmq.queue import Message

from cmqinfra.testing import local_cmq

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_ini_manifests_are_every_test_s_starting_point(pytester: pytest.Pytester) -> None:
    (pytester.path / "infra").mkdir()
    (pytester.path / "infra" / "orders.yaml").write_text((EXAMPLES / "orders.yaml").read_text())
    pytester.makeini("[pytest]\ncmqinfra_manifests =\n    infra/orders.yaml\n")
    pytester.makepyfile(
        """
        import sys

        from cmq.account import Account
        from cmq.queue import Message

        def test_nothing_is_started_before_a_test_asks_for_cmq():
            assert "cmqinfra.emulator" not in sys.modules

        def test_first(cmq, tmp_path, monkeypatch):
            monkeypatch.chdir(tmp_path)
            account = Account(cmq.endpoint, cmq.secret_id, cmq.secret_key)
            account.get_queue("orders").send_message(Message("one"))
            cmq.apply("infra/orders.yaml")  # idempotent: converges, nothing changes
            assert [m.body for m in cmq.peek("orders")] == ["one"]

        def test_second_sees_the_manifests_and_no_messages(cmq):
            assert cmq.peek("orders") == [] and cmq.peek("orders-deadletter") == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_a_bad_ini_manifest_fails_the_tests_that_use_cmq_with_its_line(pytester: pytest.Pytester) -> None:
    (pytester.path / "bad.yaml").write_text("stack: s\nqueues:\n  q: {visibilityTimeout: 0}\n")
    pytester.makeini("[pytest]\ncmqinfra_manifests = bad.yaml\n")
    pytester.makepyfile("def test_uses(cmq):\n    pass\n\ndef test_does_not():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*cmqinfra_manifests: *bad.yaml:3:*visibilityTimeout*"])
    assert "Traceback" not in result.stdout.str()


def test_loading_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import sys, cmqinfra.testing.pytest_plugin, cmqinfra.testing\n"
        "heavy = [m for m in ('cmqinfra.emulator', 'tencentcloud', 'cmqinfra.manifest', 'sqlite3', 'yaml')"
        " if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_plugin_is_registered_by_the_installed_package() -> None:
    from importlib.metadata import entry_points

    [entry] = [e for e in entry_points(group="pytest11") if e.name == "cmqinfra"]
    assert entry.value == "cmqinfra.testing.pytest_plugin"


def test_local_cmq_for_other_runners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with local_cmq(EXAMPLES / "orders.yaml") as cmq:
        account = Account(cmq.endpoint, cmq.secret_id, cmq.secret_key)
        q = account.get_queue("orders")
        q.send_message(Message("later"), delayTime=120)
        cmq.advance(120)
        assert q.receive_message(0).msgBody == "later"
        cmq.reset()
        assert cmq.peek("orders") == []  # reset keeps the manifests, drops the messages
        endpoint = cmq.endpoint
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(endpoint + "/_cmqinfra/health", timeout=2)  # noqa: S310 - loopback


def test_two_local_cmqs_are_independent() -> None:
    with local_cmq() as one, local_cmq(region="ap-shanghai") as two:
        assert one.endpoint != two.endpoint and two.region == "ap-shanghai"
        one.advance(100)
        assert two.now < one.now


def test_the_region_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", pyproject='[tool.pytest.ini_options]\ncmqinfra_region = "ap-shanghai"\n')
    pytester.makepyfile(
        """
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.tdmq.v20200217 import tdmq_client

        def test_region(cmq):
            assert cmq.region == "ap-shanghai"
            profile = ClientProfile(httpProfile=HttpProfile(endpoint=cmq.endpoint))
            keys = credential.Credential(cmq.secret_id, cmq.secret_key)
            client = tdmq_client.TdmqClient(keys, cmq.region, profile)
            client.call_json("CreateCmqQueue", {"QueueName": "east"})
            assert [m.body for m in cmq.peek("east")] == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
