"""Secrets: the SecretKey and session token never appear in output, logs, saved plans or error
text, with ``--debug`` and on every error path. Values are distinctive so a substring search
finds any leak; partial fragments are searched too, so a half-masked key still fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmqinfra.model import Stack

from .cli import SECRET_KEY, SESSION_TOKEN, Run, assert_clean_exit, cli_env
from .conftest import World
from .manifests import mixed_stack, small_stack, write

WRONG_KEY = "rel-WrOnGkEy-0c9d8e7f6a"
SECRETS = (SECRET_KEY, SESSION_TOKEN, WRONG_KEY)


def _fragments() -> list[str]:
    # any 10-character window of a secret counts as a leak
    return sorted({s[i : i + 10] for s in SECRETS for i in range(len(s) - 9)})


def _leaks_in(text: str) -> list[str]:
    return [f for f in _fragments() if f in text]


def _files_leaking(root: Path) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            if _leaks_in(text):
                found.append(str(path))
    return found


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    # logs or caches written under HOME are searched too
    return cli_env(
        {"TENCENTCLOUD_SESSION_TOKEN": SESSION_TOKEN, "HOME": str(home), "XDG_CACHE_HOME": str(home)}
    )


def _check(run: Run, allowed: tuple[int, ...]) -> None:
    assert_clean_exit(run, allowed)
    assert _leaks_in(run.output) == [], run.describe()


def test_no_secret_in_debug_output_saved_plans_or_files(world: World, env: dict[str, str]) -> None:
    stack = mixed_stack("sec", 3).v1
    manifest = write(stack, world.tmp / "work")
    plan_file = world.tmp / "work" / "plan.json"

    _check(world.plan(manifest, "--debug", "--out", str(plan_file), env=env), (0,))
    assert plan_file.exists()
    _check(
        world.cli(
            "apply",
            "--plan",
            str(plan_file),
            "--endpoint",
            world.endpoint,
            "--auto-approve",
            "--debug",
            env=env,
        ),
        (0,),
    )
    _check(world.apply(manifest, "--debug", env=env), (0,))
    _check(world.plan(manifest, "--debug", "--format", "json", env=env), (0,))
    assert _files_leaking(world.tmp / "work") == []
    assert _files_leaking(Path(env["HOME"])) == []


def test_no_secret_on_error_paths(world: World, env: dict[str, str]) -> None:
    from cmqinfra.emulator import Faults

    manifest = write(small_stack("err"), world.tmp / "work")
    # wrong key: the emulator refuses the signature
    bad = dict(env, TENCENTCLOUD_SECRET_KEY=WRONG_KEY)
    _check(world.plan(manifest, "--debug", env=bad), (1,))
    _check(world.apply(manifest, "--debug", env=bad), (1,))
    # nothing listening
    _check(world.cli("plan", str(manifest), "--endpoint", "http://127.0.0.1:9", "--debug", env=env), (1,))
    # every create fails, even after retries: the executor's failure report
    world.emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({"CreateCmqQueue"}), seed=1)
    _check(world.apply(manifest, "--debug", env=env), (1,))
    world.emulator.faults = Faults()
    # a refusal by the plan: the manifest names a queue another stack owns
    _check(world.apply(manifest, "--debug", env=env), (0,))
    other = write(Stack(name="thief", queues=small_stack("err").queues), world.tmp / "thief")
    _check(world.plan(other, "--debug", env=env), (1,))
    assert _files_leaking(world.tmp / "work") == [] and _files_leaking(world.tmp / "thief") == []
    assert _files_leaking(Path(env["HOME"])) == []
