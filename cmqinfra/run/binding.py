"""Where a plan was made: region, kind of target, endpoint or local state, and account.

A saved plan records its ``PlanTarget``; ``apply --plan`` runs only against the same one. The
target comes from the plan unless a flag names one, and then the two must agree; the region
and the account are compared too. Each refusal names both sides and comes before any write
(the target and region before any call at all; the account right after the one call that
tells it, STS GetCallerIdentity).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


def normal_endpoint(url: str) -> str:
    """``127.0.0.1:9470`` and ``http://127.0.0.1:9470/`` are one endpoint: ``http://127.0.0.1:9470``."""
    parsed = urlparse(url if "://" in url else f"http://{url}")
    scheme = parsed.scheme or "http"
    host = (parsed.hostname or "").lower()
    port = parsed.port or (443 if scheme == "https" else 80)
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


@dataclass(frozen=True)
class PlanTarget:
    kind: str  # "cloud" | "endpoint" | "local"
    region: str | None
    endpoint: str | None = None  # normalised URL (kind endpoint)
    state_dir: str | None = None  # absolute .cmqinfra directory (kind local)
    account: str | None = None  # the uin the credentials belong to (STS GetCallerIdentity)

    @property
    def workdir(self) -> Path | None:
        return Path(self.state_dir).parent if self.state_dir else None

    def place(self) -> str:
        """The target without region and account: what ``--local`` / ``--endpoint`` choose."""
        if self.kind == "local":
            # a project's units record no state directory: theirs is the project's own .cmqinfra/
            if not self.state_dir:
                return "the local emulator"
            return f"the local emulator with state in {self.state_dir}"
        if self.kind == "endpoint":
            return f"endpoint {self.endpoint}"
        return "Tencent Cloud"

    def describe(self) -> str:
        account = f", account {self.account}" if self.account else ""
        return f"{self.place()}, region {self.region}{account}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "region": self.region,
            "endpoint": self.endpoint,
            "state_dir": self.state_dir,
            "account": self.account,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PlanTarget:
        kind = data["kind"]
        if kind not in ("cloud", "endpoint", "local"):
            raise ValueError(f"unknown target kind {kind!r}")
        return cls(
            kind=kind,
            region=data.get("region"),
            endpoint=data.get("endpoint"),
            state_dir=data.get("state_dir"),
            account=data.get("account"),
        )


def target_of(local: bool, endpoint: str | None, workdir: Path, region: str | None) -> PlanTarget:
    """The target the flags choose (account not yet known)."""
    if local:
        return PlanTarget("local", region, state_dir=str((workdir / ".cmqinfra").resolve()))
    if endpoint:
        return PlanTarget("endpoint", region, endpoint=normal_endpoint(endpoint))
    return PlanTarget("cloud", region)


def place_mismatch(planned: PlanTarget, given: PlanTarget) -> str | None:
    """Why ``given`` (from flags) is another place than ``planned``, or None."""
    if (planned.kind, planned.endpoint, planned.state_dir) == (given.kind, given.endpoint, given.state_dir):
        return None
    return f"the plan was made against {planned.place()}, this run targets {given.place()}"


def region_mismatch(planned: PlanTarget, flag: str | None) -> str | None:
    if flag and flag != planned.region:
        return f"the plan was made for region {planned.region}, this run asks for --region {flag}"
    return None


def account_mismatch(planned: PlanTarget, account: str | None) -> str | None:
    if planned.account != account:
        return (
            f"the plan was made against account {planned.account or 'unknown'}, "
            f"these credentials belong to account {account or 'unknown'}"
        )
    return None
