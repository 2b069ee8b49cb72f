"""Composing a command's target: the embedded local emulator becomes an endpoint here, so the
SDK adapter (cmqinfra/cloud/) only ever knows endpoints and the cloud."""

from __future__ import annotations

import atexit
from pathlib import Path
from urllib.parse import urlparse

from cmqinfra.cloud.limiter import RateLimiter
from cmqinfra.cloud.target import DEFAULT_LOCAL_REGION, LOCAL_STATE, LOOPBACK_HOSTS, Target, open_api
from cmqinfra.cloud.tdmq import TdmqApi
from cmqinfra.local_pair import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY


def open_target(
    target: Target,
    region: str | None,
    *,
    parallelism: int = 10,
    timeout: float = 10.0,
    rate_scale: float = 1.0,
    limiter: RateLimiter | None = None,
) -> TdmqApi:
    """A connected TdmqApi for any target kind: local (embedded emulator), endpoint or cloud.
    ``limiter``: a rate budget shared with the other APIs of the same account and endpoint."""

    local_pair = (DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    if target.kind == "local":
        from cmqinfra.emulator import Emulator, inprocess

        state = (target.workdir or Path.cwd()) / LOCAL_STATE
        state.parent.mkdir(parents=True, exist_ok=True)
        # Nothing but this process talks to the embedded emulator: the SDK's signed requests go
        # to its request handler in process, with no port, server thread or HTTP stack between.
        emu = Emulator.start(state, serve_http=False)
        atexit.register(emu.stop)
        return open_api(
            Target.endpoint(emu.url),
            region or DEFAULT_LOCAL_REGION,
            transport=lambda client: inprocess.connect(client, emu),
            parallelism=parallelism,
            timeout=timeout,
            rate_scale=rate_scale,
            fallback_credentials=local_pair,
            on_close=emu.stop,
            limiter=limiter,
        )
    fallback = None
    if target.kind == "endpoint":
        url = str(target.url)
        host = urlparse(url if "://" in url else f"http://{url}").hostname
        # A loopback endpoint with no credentials in the environment is taken to be an emulator
        # started with its documented local pair.
        fallback = local_pair if host in LOOPBACK_HOSTS else None
    return open_api(
        target,
        region,
        parallelism=parallelism,
        timeout=timeout,
        rate_scale=rate_scale,
        fallback_credentials=fallback,
        limiter=limiter,
    )
