"""Where cmqinfra connects: the embedded local emulator, a given endpoint, or the real cloud.

Credentials for the cloud come only from the SDK's own providers (environment, tccli profile,
instance role); cmqinfra never reads or stores a key itself.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from tencentcloud.common import credential
from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

from cmqinfra.cloud.errors import CredentialsError
from cmqinfra.cloud.limiter import RateLimiter
from cmqinfra.cloud.redact import Redactor, guard_sdk_logging
from cmqinfra.cloud.tdmq import TdmqApi

LOCAL_STATE = Path(".cmqinfra") / "emulator.sqlite3"
DEFAULT_LOCAL_REGION = "ap-guangzhou"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
NO_CREDENTIALS = (
    "no Tencent Cloud credentials: set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, "
    "configure a tccli profile, or use --local / --endpoint"
)


@dataclass(frozen=True)
class Target:
    kind: str  # "local" | "endpoint" | "cloud"
    workdir: Path | None = None
    url: str | None = None

    @classmethod
    def local(cls, workdir: Path) -> Target:
        return cls("local", workdir=Path(workdir))

    @classmethod
    def endpoint(cls, url: str) -> Target:
        return cls("endpoint", url=url)

    @classmethod
    def cloud(cls) -> Target:
        return cls("cloud")

    def describe(self) -> str:
        if self.kind == "local":
            return f"local emulator ({self.workdir / LOCAL_STATE if self.workdir else LOCAL_STATE})"
        if self.kind == "endpoint":
            return f"endpoint {self.url}"
        return "Tencent Cloud"


def _env_credential() -> credential.Credential | None:
    secret_id = os.environ.get("TENCENTCLOUD_SECRET_ID")
    secret_key = os.environ.get("TENCENTCLOUD_SECRET_KEY")
    if not secret_id or not secret_key:
        return None
    try:
        return credential.Credential(secret_id, secret_key, os.environ.get("TENCENTCLOUD_SESSION_TOKEN"))
    except Exception as exc:
        raise CredentialsError(
            f"invalid Tencent Cloud credentials in the environment: {type(exc).__name__}"
        ) from None


def _explicit_credential(given: tuple[str, str, str | None] | None) -> credential.Credential | None:
    if given is None:
        return None
    try:
        return credential.Credential(*given)
    except Exception as exc:
        raise CredentialsError(f"invalid Tencent Cloud credentials: {type(exc).__name__}") from None


def _provider_credential() -> credential.Credential:
    found = _env_credential()
    if found is not None:
        return found
    try:
        cred = credential.DefaultCredentialProvider().get_credential()
    except Exception:
        cred = None
    if cred is None:
        raise CredentialsError(NO_CREDENTIALS)
    return cred


def _profile(endpoint: str, scheme: str, timeout: float) -> ClientProfile:
    http = HttpProfile(protocol=scheme, endpoint=endpoint, reqTimeout=int(max(1, timeout)))
    return ClientProfile(httpProfile=http)


def _secrets_of(cred: object) -> list[str | None]:
    return [getattr(cred, "secret_key", None), getattr(cred, "secretKey", None), getattr(cred, "token", None)]


def open_api(
    target: Target,
    region: str | None,
    *,
    parallelism: int = 10,
    timeout: float = 10.0,
    rate_scale: float = 1.0,
    fallback_credentials: tuple[str, str] | None = None,
    on_close: Callable[[], None] | None = None,
    limiter: RateLimiter | None = None,
    credentials: tuple[str, str, str | None] | None = None,
    transport: Callable[[CommonClient], None] | None = None,
) -> TdmqApi:
    """A connected TdmqApi (close it, or use it as a context manager).

    ``target`` is an endpoint or the cloud; the session layer composes the embedded emulator
    into an endpoint before it gets here. ``fallback_credentials`` sign calls to an endpoint when
    the environment has none (the local emulator's documented pair, chosen by the caller).
    ``limiter``: a rate budget shared with other TdmqApis of the same account and endpoint.
    ``credentials``: an explicit (secret id, key, token) that wins over every provider.
    ``transport``: given each SDK client once made, to replace how its signed requests travel
    (the session layer's in-process emulator); None: the SDK's own HTTP.
    """
    if target.kind == "endpoint":
        parsed = urlparse(target.url if "://" in str(target.url) else f"http://{target.url}")
        if not parsed.hostname:
            raise CredentialsError(f"--endpoint {target.url!r} is not a URL like http://127.0.0.1:9470")
        endpoint = parsed.netloc
        scheme = parsed.scheme or "http"
        cred = _explicit_credential(credentials) or _env_credential()
        if cred is None:
            cred = (
                credential.Credential(*fallback_credentials)
                if fallback_credentials is not None
                else _provider_credential()
            )
        region = region or DEFAULT_LOCAL_REGION
    elif target.kind == "cloud":
        if not region:
            raise CredentialsError(
                "no region: pass --region, set TENCENTCLOUD_REGION, or set region in the manifest"
            )
        cred = _explicit_credential(credentials) or _provider_credential()
        endpoint, scheme = "tdmq.tencentcloudapi.com", "https"
    else:
        raise ValueError(f"open_api takes an endpoint or the cloud, not {target.kind!r}")

    tdmq = CommonClient("tdmq", "2020-02-17", cred, region, _profile(endpoint, scheme, timeout))
    tag_endpoint = "tag.tencentcloudapi.com" if target.kind == "cloud" else endpoint
    tag = CommonClient("tag", "2018-08-13", cred, region, _profile(tag_endpoint, scheme, timeout))
    sts_endpoint = "sts.tencentcloudapi.com" if target.kind == "cloud" else endpoint
    sts = CommonClient("sts", "2018-08-13", cred, region, _profile(sts_endpoint, scheme, timeout))
    if transport is not None:
        for client in (tdmq, tag, sts):
            transport(client)
    redactor = Redactor(_secrets_of(cred))
    guard_sdk_logging(redactor)
    return TdmqApi(
        tdmq,
        tag,
        region,
        parallelism=parallelism,
        limiter=limiter or RateLimiter(scale=rate_scale),
        redactor=redactor,
        on_close=on_close,
        sts=sts,
    )
