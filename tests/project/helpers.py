"""A repository fixture of several stacks and two environments, each on its own emulator."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

from click.testing import CliRunner
from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from cmqinfra.cli import cli
from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def cmq(root: Path, *args: str) -> tuple[int, str, str]:
    """cmqinfra in process, in ``root`` (project mode finds the project in the current directory)."""
    runner = CliRunner()
    with _cwd(root):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


class _cwd:
    def __init__(self, path: Path) -> None:
        self.path, self.old = path, Path.cwd()

    def __enter__(self) -> None:
        import os

        os.chdir(self.path)

    def __exit__(self, *exc: object) -> None:
        import os

        os.chdir(self.old)


def git(root: Path, *args: str) -> str:
    env_args = ["-c", "user.email=dev@example.com", "-c", "user.name=dev", "-c", "init.defaultBranch=main"]
    done = subprocess.run(["git", *env_args, *args], cwd=root, capture_output=True, text=True, check=True)
    return done.stdout


def sdk(emu: Emulator) -> CommonClient:
    profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emu.endpoint))
    return CommonClient("tdmq", "2020-02-17", credential.Credential(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY),
                        emu.region, profile)


def queues(emu: Emulator) -> dict[str, dict[str, object]]:
    """Every queue on the emulator, by name, as DescribeCmqQueueDetail returns it."""
    client = sdk(emu)
    listed = client.call_json("DescribeCmqQueues", {"Limit": 50})["Response"]["QueueList"]
    names = [q["QueueName"] for q in listed]
    out = {}
    for name in names:
        detail = client.call_json("DescribeCmqQueueDetail", {"QueueName": name})["Response"]
        out[name] = detail
    return out


def topics(emu: Emulator) -> set[str]:
    listed = sdk(emu).call_json("DescribeCmqTopics", {"Limit": 50})["Response"]["TopicList"]
    return {t["TopicName"] for t in listed}
