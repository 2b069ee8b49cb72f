"""The target flags plan / apply / destroy share, gathered into one TargetOptions value."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any

import click

from cmqinfra.run.parallelism import DEFAULT_PARALLELISM
from cmqinfra.run.session import TargetOptions
from cmqinfra.run.trust import allowed_endpoints


def target_options(f: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--local", is_flag=True, help="Use the embedded emulator with state in ./.cmqinfra/.")
    @click.option("--endpoint", metavar="URL", help="A running emulator or TDMQ-compatible endpoint.")
    @click.option("--region", metavar="R", help="Region (default: TENCENTCLOUD_REGION, then the manifest).")
    @click.option(
        "--parallelism",
        type=click.IntRange(1, 100),
        default=DEFAULT_PARALLELISM,
        show_default=True,
        help="Changes of one stack run concurrently at most (a project's units apply side by side, "
        "each so bounded).",
    )
    @click.option(
        "--timeout",
        type=click.IntRange(1, 300),
        default=10,
        show_default=True,
        metavar="SECONDS",
        help="How long one API call may take before it counts as failed and is retried.",
    )
    @click.option("--debug", is_flag=True,
                  help="Print API call counts per action at the end, and the calls refused as over the "
                       "rate limit (stderr).")
    @click.option("--allow-endpoint", "allow_endpoint", multiple=True, metavar="URL",
                  help="Let cmqinfra.yaml name this endpoint (repeatable; also CMQINFRA_ALLOWED_ENDPOINTS). "
                       "Without it only loopback emulators are used from the repository.")
    @functools.wraps(f)
    def wrapper(
        *args: Any,
        local: bool,
        endpoint: str | None,
        region: str | None,
        parallelism: int,
        timeout: int,
        debug: bool,
        allow_endpoint: tuple[str, ...],
        **kw: Any,
    ) -> Any:
        options = TargetOptions(
            allowed_endpoints=allowed_endpoints(allow_endpoint, os.environ),
            local=local,
            endpoint=endpoint,
            region=region,
            parallelism=parallelism,
            debug=debug,
            timeout=float(timeout),
        )
        return f(*args, options=options, **kw)

    return wrapper
