"""``cmqinfra emulator``: run the local TDMQ endpoint until SIGINT/SIGTERM."""

from __future__ import annotations

import signal
import sqlite3
import threading
from pathlib import Path
from types import FrameType

import click

from cmqinfra.emulator import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_DATA_PATH,
    DEFAULT_REGION,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    Emulator,
    Faults,
)

_RATE = click.FloatRange(0.0, 1.0)


@click.command(name="emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback by default).")
@click.option(
    "--port", default=9470, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port."
)
@click.option(
    "--data",
    "data",
    default=str(DEFAULT_DATA_PATH),
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite file holding the emulator's state.",
)
@click.option("--secret-id", default=DEFAULT_SECRET_ID, show_default=True)
@click.option(
    "--secret-key",
    default=DEFAULT_SECRET_KEY,
    show_default=False,
    help=f"Defaults to the documented local key ({DEFAULT_SECRET_KEY!r} is not a secret).",
)
@click.option("--region", default=DEFAULT_REGION, show_default=True)
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
@click.option("--seed", default=None, type=int, help="Seed for the fault dice (reproducible runs).")
def command(
    host: str,
    port: int,
    data: str,
    secret_id: str,
    secret_key: str,
    region: str,
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
    seed: int | None,
) -> None:
    """Run a local TDMQ for CMQ endpoint (and the Tag service calls cmqinfra needs)."""
    faults = Faults(
        latency=latency,
        throttle_rate=throttle_rate,
        internal_error_rate=internal_error_rate,
        http_5xx_rate=http_5xx_rate,
        drop_connection_rate=drop_connection_rate,
        lost_response_rate=lost_response_rate,
        invisible_seconds=invisible_seconds,
        seed=seed,
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
        )
    except sqlite3.Error as exc:
        raise click.ClickException(f"cannot open the emulator's data file {data}: {exc}") from None
    except OSError as exc:
        if exc.filename is not None:
            raise click.ClickException(
                f"cannot open the emulator's data file {data}: {exc.strerror}"
            ) from None
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    click.echo(f"listening on {emu.url}")
    click.get_text_stream("stdout").flush()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emu.stop()
