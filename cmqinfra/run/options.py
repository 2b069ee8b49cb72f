"""The target flags plan / apply / destroy share, gathered into one TargetOptions value."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from cmqinfra.run.executor import DEFAULT_PARALLELISM
from cmqinfra.run.session import TargetOptions


def target_options(f: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--local", is_flag=True, help="Use the embedded emulator with state in ./.cmqinfra/.")
    @click.option("--endpoint", metavar="URL", help="A running emulator or TDMQ-compatible endpoint.")
    @click.option("--region", metavar="R", help="Region (default: TENCENTCLOUD_REGION, then the manifest).")
    @click.option(
        "--parallelism",
        type=click.IntRange(1, 100),
        default=DEFAULT_PARALLELISM,
        show_default=True,
        help="Changes run concurrently at most.",
    )
    @click.option(
        "--timeout",
        type=click.IntRange(1, 300),
        default=10,
        show_default=True,
        metavar="SECONDS",
        help="How long one API call may take before it counts as failed and is retried.",
    )
    @click.option("--debug", is_flag=True, help="Print API call counts per action at the end (stderr).")
    @functools.wraps(f)
    def wrapper(
        *args: Any,
        local: bool,
        endpoint: str | None,
        region: str | None,
        parallelism: int,
        timeout: int,
        debug: bool,
        **kw: Any,
    ) -> Any:
        options = TargetOptions(
            local=local,
            endpoint=endpoint,
            region=region,
            parallelism=parallelism,
            debug=debug,
            timeout=float(timeout),
        )
        return f(*args, options=options, **kw)

    return wrapper
