"""``CmqContainer``: the emulator's container image as a testcontainers-python module.

    from cmqinfra.testing.container import CmqContainer

    with CmqContainer("cmqinfra-emulator:latest", manifests="infra/") as cmq:
        Account(cmq.get_endpoint(), cmq.secret_id, cmq.secret_key)       # the CMQ SDK
        HttpProfile(endpoint=cmq.get_endpoint())                          # the TDMQ SDK

``start`` returns once ``/_cmqinfra/ready`` answers 200, i.e. the manifests are applied. Needs
``pip install testcontainers`` and a Docker API (Docker, or ``podman system service`` with
``DOCKER_HOST`` pointing at its socket). ``host_network=True`` runs it on the host's network on a
free port, for engines that cannot publish ports (rootless or nested sandboxes).
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from testcontainers.core.container import DockerContainer

from cmqinfra.local_pair import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

DEFAULT_IMAGE = "cmqinfra-emulator:latest"
CONTAINER_PORT = 9470
READY_TIMEOUT_SECONDS = 120.0


class CmqContainerError(Exception):
    """The container stopped, or never became ready; the message carries its last log lines."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CmqContainer(DockerContainer):  # type: ignore[misc]
    def __init__(
        self,
        image: str = DEFAULT_IMAGE,
        manifests: str | Path | None = None,
        secret_id: str = DEFAULT_SECRET_ID,
        secret_key: str = DEFAULT_SECRET_KEY,
        host_network: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(image, **kwargs)
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.host_network = host_network
        self.with_env("CMQINFRA_EMULATOR_SECRET_ID", secret_id)
        self.with_env("CMQINFRA_EMULATOR_SECRET_KEY", secret_key)
        if host_network:
            self._host_port = _free_port()
            self.with_env("CMQINFRA_EMULATOR_PORT", str(self._host_port))
            self.with_kwargs(network_mode="host")
        else:
            self.with_exposed_ports(CONTAINER_PORT)
        if manifests is not None:
            folder = Path(manifests).resolve()
            if not folder.is_dir():
                raise CmqContainerError(f"manifests={manifests!s}: not a directory")
            self.with_volume_mapping(str(folder), "/manifests", "ro")

    def __repr__(self) -> str:  # the key stays out of reports
        return f"CmqContainer(image={self.image!r})"

    def get_endpoint(self) -> str:
        """``http://HOST:PORT``, for both the CMQ SDK and the TDMQ SDK."""
        if self.host_network:
            return f"http://127.0.0.1:{self._host_port}"
        return f"http://{self.get_container_host_ip()}:{self.get_exposed_port(CONTAINER_PORT)}"

    def start(self) -> CmqContainer:
        super().start()
        self._wait_until_ready()
        return self

    def _wait_until_ready(self, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            container = self.get_wrapped_container()
            container.reload()
            if container.status in ("exited", "dead"):
                raise CmqContainerError(f"the emulator container stopped:\n{self._last_logs()}")
            try:
                with opener.open(self.get_endpoint() + "/_cmqinfra/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass  # not listening yet, or 503 while the manifests are applied
            time.sleep(0.2)
        raise CmqContainerError(f"the emulator was not ready after {timeout:.0f} s:\n{self._last_logs()}")

    def _last_logs(self) -> str:
        out, err = self.get_logs()
        text = (out or b"").decode("utf-8", "replace") + (err or b"").decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-20:])
