"""``cmqinfra emulator``: run the local TDMQ endpoint until SIGINT/SIGTERM.

``--apply PATH...`` applies those manifests first and prints what it applied and the endpoint of
each front door; the ready line (``listening on URL``) is always the last line printed, and
``/_cmqinfra/ready`` answers 200 from then on.

``cmqinfra emulator messages|purge|redrive|reset ...`` talk to one instead (emulator_admin.py).
"""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import click

from cmqinfra.commands.shared_options import delivery_option
from cmqinfra.emulator import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_DATA_PATH,
    DEFAULT_REGION,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    Emulator,
    Faults,
    VirtualClock,
)

_RATE = click.FloatRange(0.0, 1.0)


CMQ_PATH = "/v2/index.php"


ADMIN_COMMANDS = ("messages", "purge", "redrive", "reset", "advance")


class _EmulatorGroup(click.Group):
    """``cmqinfra emulator [OPTIONS] [PATH]...`` serves; ``cmqinfra emulator messages QUEUE``
    (purge, redrive, reset) administers one. A first argument that is not one of those four is
    the server's, so every existing invocation keeps its meaning."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(ADMIN_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in ADMIN_COMMANDS:
            return None
        from cmqinfra.commands.emulator_admin import COMMANDS

        return COMMANDS[cmd_name]

    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: object
    ) -> click.Context:
        if args and args[0] in ADMIN_COMMANDS:
            return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[arg-type]
        return serve.make_context(info_name, args, parent=parent, **extra)  # type: ignore[arg-type]


@click.command(
    name="emulator",
    epilog="Administer a running emulator or the local state: cmqinfra emulator messages QUEUE | "
    "purge QUEUE | redrive DLQ | reset [--stack S] | advance SECONDS (each with --help).",
)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--apply",
    "apply_paths",
    is_flag=True,
    help="Apply the manifests at PATH... (each one stack) before announcing the endpoints.",
)
@click.option(
    "--apply-dir",
    "apply_dir",
    type=click.Path(file_okay=False),
    help="Apply every stack in DIR at start: each *.yaml/*.yml file, and each directory of them (the "
    "container image's mounted /manifests). A missing or empty DIR applies nothing.",
)
@click.option(
    "--virtual-clock",
    is_flag=True,
    help="Time stands still until moved (cmqinfra emulator advance SECONDS, POST /_cmqinfra/clock): "
    "tests in any language drive delays, visibility and retries without sleeping.",
)
@click.option("--fresh", is_flag=True, help="Start from empty state in a temporary file, removed on exit.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option(
    "--port",
    default=9470,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="CMQINFRA_EMULATOR_PORT",
    help="0 picks a free port (env CMQINFRA_EMULATOR_PORT).",
)
@click.option(
    "--data",
    "data",
    default=str(DEFAULT_DATA_PATH),
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite file holding the emulator's state.",
)
@click.option(
    "--secret-id", default=DEFAULT_SECRET_ID, show_default=True, envvar="CMQINFRA_EMULATOR_SECRET_ID"
)
@click.option(
    "--secret-key",
    default=DEFAULT_SECRET_KEY,
    show_default=False,
    envvar="CMQINFRA_EMULATOR_SECRET_KEY",
    show_envvar=True,
    help=f"Defaults to CMQINFRA_EMULATOR_SECRET_KEY, else the documented local key ({DEFAULT_SECRET_KEY!r} "
    "is not a secret). Prefer the variable for a real key: an argument is visible to every user in `ps`.",
)
@click.option(
    "--region", default=None,
    help=f"The first region (default: the manifests', else {DEFAULT_REGION}); every region is served, "
    "each with its own state.",
)
@click.option(
    "--account-id",
    default=DEFAULT_ACCOUNT_ID,
    show_default=True,
    metavar="UIN",
    help="The account (uin) STS GetCallerIdentity answers; saved plans are bound to it.",
)
@click.option("--no-rate-limits", is_flag=True, help="Accept any request rate.")
@click.option(
    "--rate-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0.0, min_open=True),
    help="Multiply every per-action rate limit.",
)
@click.option("--latency", default=0.0, type=click.FloatRange(min=0.0), help="Seconds added to every call.")
@click.option(
    "--throttle-rate", default=0.0, type=_RATE, help="Share of calls answered RequestLimitExceeded."
)
@click.option("--internal-error-rate", default=0.0, type=_RATE, help="Share of calls answered InternalError.")
@click.option("--http-5xx-rate", default=0.0, type=_RATE, help="Share of calls answered HTTP 502/503.")
@click.option("--drop-connection-rate", default=0.0, type=_RATE, help="Share of calls dropped, nothing done.")
@click.option(
    "--lost-response-rate",
    default=0.0,
    type=_RATE,
    help="Share of calls whose change is committed but whose response is dropped.",
)
@click.option(
    "--invisible-seconds",
    default=0.0,
    type=click.FloatRange(min=0.0),
    help="New resources stay invisible to Describe* calls this long.",
)
@click.option(
    "--fault-queue",
    "fault_queues",
    multiple=True,
    metavar="NAME",
    help="Limit faults on the CMQ message door to calls naming this queue or topic (repeatable).",
)
@click.option("--seed", default=None, type=int, help="Seed for the fault dice (reproducible runs).")
@click.option(
    "--cam-policy",
    "cam_policy",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Enforce this CAM policy (JSON, as `cmqinfra cam-policy` prints): other calls are answered "
    "AuthFailure.UnauthorizedOperation, as CAM answers.",
)
@click.option(
    "--console-host",
    "console_hosts",
    multiple=True,
    metavar="NAME",
    help="A Host name the console at /_cmqinfra/console/ also answers to, from any address "
    "(by default: loopback names, from this machine only).",
)
@delivery_option
@click.option(
    "--delivery-seed",
    default=None,
    type=int,
    help="Seed for realistic delivery (default: a random one, printed on stderr to replay the run).",
)
def serve(
    paths: tuple[str, ...],
    apply_paths: bool,
    apply_dir: str | None,
    virtual_clock: bool,
    fresh: bool,
    host: str,
    port: int,
    data: str,
    secret_id: str,
    secret_key: str,
    region: str | None,
    account_id: str,
    no_rate_limits: bool,
    rate_scale: float,
    latency: float,
    throttle_rate: float,
    internal_error_rate: float,
    http_5xx_rate: float,
    drop_connection_rate: float,
    lost_response_rate: float,
    invisible_seconds: float,
    fault_queues: tuple[str, ...],
    seed: int | None,
    cam_policy: str | None,
    console_hosts: tuple[str, ...],
    delivery: str,
    delivery_seed: int | None,
) -> None:
    """Run a local TDMQ for CMQ endpoint (and the Tag service calls cmqinfra needs).

    With --apply PATH..., the manifests are applied first; the endpoints are printed once they are.
    """
    if paths and not apply_paths:
        raise click.UsageError("manifest PATHs are only taken with --apply")
    if apply_paths and not paths and apply_dir is None:
        raise click.UsageError("--apply needs at least one manifest PATH")
    from cmqinfra.emulator.cam import PolicyError, load_policy

    try:
        policy = load_policy(cam_policy) if cam_policy else None
    except PolicyError as exc:
        raise click.ClickException(str(exc)) from None
    if apply_dir is not None:
        paths = (*paths, *_stacks_in(Path(apply_dir)))
    stacks, region = _stacks_to_apply(paths, region)
    if delivery == "realistic" and delivery_seed is None:
        delivery_seed = random.SystemRandom().randrange(1, 2**31)
        click.echo(f"delivery realistic, --delivery-seed {delivery_seed}", err=True)
    scratch = tempfile.mkdtemp(prefix="cmqinfra-emulator-") if fresh else None
    if scratch is not None:
        data = str(Path(scratch) / "emulator.sqlite3")
    faults = Faults(
        latency=latency,
        throttle_rate=throttle_rate,
        internal_error_rate=internal_error_rate,
        http_5xx_rate=http_5xx_rate,
        drop_connection_rate=drop_connection_rate,
        lost_response_rate=lost_response_rate,
        invisible_seconds=invisible_seconds,
        seed=seed,
        resources=frozenset(fault_queues) if fault_queues else None,
    )
    try:
        emu = Emulator.start(
            Path(data),
            host=host,
            port=port,
            secret_id=secret_id,
            secret_key=secret_key,
            region=region,
            rate_limits=not no_rate_limits,
            rate_scale=rate_scale,
            faults=faults,
            account_id=account_id,
            not_ready="applying the start-up manifests" if stacks else None,
            clock=VirtualClock(start=float(int(time.time()))) if virtual_clock else None,
            delivery=delivery,
            delivery_seed=delivery_seed,
        )
    except sqlite3.Error as exc:
        _remove(scratch)
        raise click.ClickException(f"cannot open the emulator's data file {data}: {exc}") from None
    except OSError as exc:
        _remove(scratch)
        if exc.filename is not None:
            raise click.ClickException(
                f"cannot open the emulator's data file {data}: {exc.strerror}"
            ) from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    # Set after --apply's set-up calls would be refused by a plan-only policy, so: after them.
    emu.console.guard.allow(console_hosts)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        if stacks:
            from cmqinfra.run import bootstrap
            from cmqinfra.run.session import Failure

            try:
                applied = bootstrap.apply_stacks(stacks, emu.url, (secret_id, secret_key), region)
            except Failure as exc:
                raise click.ClickException(str(exc)) from None
            for done in applied:
                click.echo(
                    f"applied {done.path} (stack {done.stack}): {done.added} added, {done.changed} changed, "
                    f"{done.destroyed} destroyed"
                )
            click.echo(f"TDMQ API 3.0 (tencentcloud SDKs, tccli): {emu.url}  region {region}")
            click.echo(f"CMQ message API (cmq SDK Account host):  {emu.url}  path {CMQ_PATH}")
        if policy is not None:
            emu.cam_policy = policy
            click.echo(f"enforcing the CAM policy {cam_policy}")
        # A hint for the person at the terminal (stderr: stdout's lines are a contract with scripts).
        click.echo(f"console (log in with the emulator's credentials): {emu.url}/_cmqinfra/console/",
                   err=True)
        emu.admin.release()
        if host not in ("127.0.0.1", "localhost", "::1") and secret_key == DEFAULT_SECRET_KEY:
            click.echo(
                f"warning: listening on {host} with the public default key pair: anyone who reaches "
                "the port can read, purge and reset; set CMQINFRA_EMULATOR_SECRET_KEY",
                err=True,
            )
        # Always the last line: whoever waits for it finds everything in place.
        click.echo(f"listening on {emu.url}")
        click.get_text_stream("stdout").flush()
        while not stop.wait(0.5):
            pass
    finally:
        emu.stop()
        _remove(scratch)


def _stacks_in(directory: Path) -> list[str]:
    """The stacks of a manifests folder: each manifest file at its top, each directory holding some."""
    if not directory.is_dir():
        return []
    found: list[str] = []
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix in (".yaml", ".yml") and ".cmqtest." not in entry.name:
            found.append(str(entry))
        elif entry.is_dir() and any(p.suffix in (".yaml", ".yml") for p in entry.iterdir() if p.is_file()):
            found.append(str(entry))
    return found


def _stacks_to_apply(paths: tuple[str, ...], region: str | None) -> tuple[tuple[Any, ...], str]:
    """The manifests given with --apply, loaded, and the region to serve. The apply machinery is
    imported only when there are some: without, the emulator is listening sooner."""
    if not paths:
        return (), region or DEFAULT_REGION
    from cmqinfra.run import bootstrap
    from cmqinfra.run.session import Failure

    try:
        stacks = bootstrap.load_stacks(paths)
        regions = {item.stack.region for item in stacks if item.stack.region}
        region = region or (regions.pop() if len(regions) == 1 else DEFAULT_REGION)
    except Failure as exc:
        raise click.ClickException(str(exc)) from None
    return tuple(stacks), region


def _remove(scratch: str | None) -> None:
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


command = _EmulatorGroup(name="emulator", help=serve.help)
