"""G1: credentials go only where the operator said (docs/security.md). The pull request's
``cmqinfra.yaml`` names a host; a catcher behind that name counts what arrives: nothing, unless
the operator allowed it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator
from tests.project.helpers import cmq, write
from tests.security.catcher import catcher

SECRET_KEY = "ci-secret-key-never-sent"
STACK = "stack: shop\nqueues:\n  orders: {}\n"


@pytest.fixture(autouse=True)
def _ci_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("CMQINFRA_ALLOWED_ENDPOINTS", raising=False)
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "AKIDCIWRITER")
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_ci_token_never_sent")


def _repo(root: Path, endpoint: str, credentials: str = "") -> Path:
    write(root, {
        "cmqinfra.yaml": f"""
            environments:
              prod:
                region: ap-guangzhou
                endpoint: {endpoint}
            {credentials}
            stacks:
              shop: {{path: shop}}
            """,
        "shop/shop.yaml": STACK,
    })
    return root


@pytest.mark.parametrize("command", [("plan",), ("plan", "--format", "markdown"), ("validate",),
                                     ("apply", "--auto-approve")])
def test_a_repository_named_host_gets_no_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 command: tuple[str, ...]) -> None:
    with catcher(monkeypatch) as host:
        repo = _repo(tmp_path / "repo", host.url)
        code, out, err = cmq(repo, *command)
        assert host.seen == []
        if command[0] != "validate":  # validate sends nothing anywhere
            assert code == 1
            shown = out + err  # the markdown comment carries the error too
            assert "cmqinfra.yaml:4:15: endpoint 'http://attacker.example:" in shown
            assert "is not a local emulator on a loopback address; nothing was sent to it" in shown
            assert "--allow-endpoint" in shown


def test_the_operator_can_allow_a_host_by_flag_or_by_variable(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with catcher(monkeypatch) as host:
        repo = _repo(tmp_path / "repo", host.url)
        cmq(repo, "plan", "--allow-endpoint", host.url + "/")
        by_flag = len(host.seen)
        assert by_flag > 0  # the catcher is reachable under that name: the refusal above is real
        monkeypatch.setenv("CMQINFRA_ALLOWED_ENDPOINTS", f"http://other.example, {host.url}")
        cmq(repo, "plan")
        assert len(host.seen) > by_flag
        # An allowance for another host allows nothing here.
        monkeypatch.setenv("CMQINFRA_ALLOWED_ENDPOINTS", "http://other.example")
        seen = len(host.seen)
        code, _, err = cmq(repo, "plan", "--allow-endpoint", "http://attacker.example:1")
        assert code == 1 and len(host.seen) == seen


def test_a_repository_named_loopback_port_never_gets_the_operators_credentials(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever listens on a loopback port of the runner is not known to be an emulator: unless
    the operator allows it, it is signed with the emulator's documented pair."""
    refusal = json.dumps({"Response": {"Error": {"Code": "AuthFailure.SecretIdNotFound", "Message": "no"},
                                       "RequestId": "r"}}).encode()
    with catcher(monkeypatch, refusal) as host:
        loopback = f"http://127.0.0.1:{host.port}"
        repo = _repo(tmp_path / "repo", loopback)
        code, out, err = cmq(repo, "plan")
        assert code == 1  # the catcher is no emulator
        assert host.seen, "the loopback endpoint was reached"
        caught = "\n".join(host.seen)
        assert "Credential=AKIDCMQINFRALOCAL/" in caught
        assert "AKIDCIWRITER" not in caught and SECRET_KEY not in caught
        # Allowed by the operator, the same port gets the operator's credentials.
        host.seen.clear()
        cmq(repo, "plan", "--allow-endpoint", loopback)
        assert host.seen and all("Credential=AKIDCIWRITER/" in seen for seen in host.seen)
        # Credentials an environment names go to a repository-named port only when allowed.
        monkeypatch.setenv("PROD_SECRET_ID", "AKIDPRODWRITER")
        monkeypatch.setenv("PROD_SECRET_KEY", SECRET_KEY)
        host.seen.clear()
        _repo(repo, loopback, "    credentials: {secretId: PROD_SECRET_ID, secretKey: PROD_SECRET_KEY}")
        code, out, err = cmq(repo, "plan")
        assert code == 1 and host.seen == []
        assert (f"cmqinfra.yaml:4:15: endpoint '{loopback}' comes from the repository, and the "
                "credentials in $PROD_SECRET_ID and $PROD_SECRET_KEY go to it only when the operator "
                "allows it; nothing was sent to it") in err
        cmq(repo, "plan", "--allow-endpoint", loopback)
        assert host.seen and all("Credential=AKIDPRODWRITER/" in seen for seen in host.seen)


@pytest.mark.parametrize("url", ["http://localhost:1", "http://127.0.0.2:1", "http://[::1]:1"])
def test_loopback_emulators_need_no_allowance(url: str) -> None:
    from cmqinfra.run.trust import endpoint_problem

    assert endpoint_problem(url, ()) is None


@pytest.mark.parametrize("url", ["http://127.0.0.1.attacker.example", "http://user@127.0.0.1:1@evil:2",
                                 "http://10.0.0.1", "ftp://127.0.0.1", "http://[::ffff:8.8.8.8]",
                                 "http://0x7f000001.example", "127.0.0.1:9470"])
def test_look_alikes_are_not_loopback(url: str) -> None:
    from cmqinfra.run.trust import endpoint_problem

    assert endpoint_problem(url, ()) is not None


def test_credential_variables_must_be_named_like_credentials(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    emu = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False, secret_id="AKIDCIWRITER",
                         secret_key=SECRET_KEY)
    try:
        creds = "    credentials: {secretId: TENCENTCLOUD_SECRET_KEY, secretKey: PROD_SECRET_KEY,"
        creds += " sessionToken: GITHUB_TOKEN}"
        repo = _repo(tmp_path / "repo", emu.url, creds)
        for command in (("validate",), ("plan",)):
            code, out, err = cmq(repo, *command)
            assert code == 1
            assert ("cmqinfra.yaml:5:29: error: credentials.secretId names the variable "
                    "'TENCENTCLOUD_SECRET_KEY'; a secretId variable's name must be upper case and end in "
                    "_SECRET_ID") in err
            assert "credentials.sessionToken names the variable 'GITHUB_TOKEN'" in err
            assert "PROD_SECRET_KEY'" not in err  # a well-named variable is not refused
        assert emu.call_counts() == {}
    finally:
        emu.stop()


def test_apply_of_a_saved_plan_goes_where_this_runs_configuration_says(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan file says where it was planned; apply believes its own checkout and flags only."""
    # a loopback emulator the repository names: signed with the emulator's local pair
    emu = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False)
    try:
        with catcher(monkeypatch) as host:
            repo = _repo(tmp_path / "repo", emu.url)
            code, _, err = cmq(repo, "plan", "--out", "p.plan")
            assert code == 0, err
            doc = json.loads((repo / "p.plan").read_text())
            # The file is edited to send the write key elsewhere, under other variable names.
            doc = _unsealed(doc)
            saved = doc["units"][0]["saved_plan"]
            saved["target"]["endpoint"] = host.url
            saved["credentials"] = {"secretId": "TENCENTCLOUD_SECRET_KEY",
                                    "secretKey": "TENCENTCLOUD_SECRET_KEY"}
            (repo / "edited.plan").write_text(json.dumps(doc))
            code, out, err = cmq(repo, "apply", "--plan", "edited.plan")
            assert code == 1
            assert "the saved plan's targets are not this run's" in err
            assert host.seen == []
            # This run's configuration moved to another endpoint: the plan is refused there too.
            other = Emulator.start(tmp_path / "o.sqlite3", rate_limits=False)
            try:
                _repo(repo, other.url)
                code, out, err = cmq(repo, "apply", "--plan", "p.plan")
                assert code == 1
                assert f"the plan was made against endpoint {emu.url}, this run's configuration says " \
                       f"endpoint {other.url}" in err
                assert other.call_counts() == {}
            finally:
                other.stop()
        assert not [a for a in emu.call_counts() if not a.startswith(("Describe", "GetCaller"))]
    finally:
        emu.stop()


def _unsealed(doc: dict) -> dict:  # type: ignore[type-arg]
    """The plan without its seal: what an editor without the key makes (test_sealed_plans.py
    shows what the seal adds; here the binding to this run's configuration alone refuses it)."""
    doc.pop("cmqinfra_seal")
    return doc


def test_a_single_stack_plan_file_cannot_send_apply_elsewhere(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """One stack: the endpoint came from the operator's --endpoint; a file naming another is
    believed only if this run names it too, or it is a loopback emulator."""
    emu = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False, secret_id="AKIDCIWRITER",
                         secret_key=SECRET_KEY)
    try:
        with catcher(monkeypatch) as host:
            (tmp_path / "shop.yaml").write_text(STACK)
            code, _, err = cmq(tmp_path, "plan", "shop.yaml", "--endpoint", emu.url, "--out", "p.plan")
            assert code == 0, err
            doc = _unsealed(json.loads((tmp_path / "p.plan").read_text()))
            unit = doc["units"][0] if "units" in doc else doc
            unit["saved_plan"]["target"]["endpoint"] = host.url
            if unit.get("target"):
                unit["target"]["endpoint"] = host.url
            (tmp_path / "edited.plan").write_text(json.dumps(doc))
            code, out, err = cmq(tmp_path, "apply", "--plan", "edited.plan")
            assert code == 1
            assert "which this run does not name" in err
            assert host.seen == []
            code, out, err = cmq(tmp_path, "apply", "--plan", "p.plan")  # loopback: as before
            assert code == 0, err
    finally:
        emu.stop()
