"""Which region a run uses, and why: one rule, like Terraform's provider block.

1. The region the configuration declares wins: the manifest's ``region:`` (in project mode, the
   environment's region plays that role: pass it as ``declared`` with ``declared_by``).
2. A ``--region`` flag that disagrees with it is an error naming both, raised before any call.
3. With nothing declared: ``--region``, then ``TENCENTCLOUD_REGION``, then (for the cloud) the
   region of the tccli profile (``~/.tccli/<TCCLI_PROFILE or default>.configure``), then, for
   the emulator, its default region.

The environment and the profile only ever fill in what the configuration leaves out.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

EMULATOR_DEFAULT_REGION = "ap-guangzhou"
ENV_VAR = "TENCENTCLOUD_REGION"


class RegionConflict(Exception):
    """``--region`` disagrees with the declared region (worded for the user)."""


@dataclass(frozen=True)
class ResolvedRegion:
    name: str | None
    source: str  # "manifest", "--region", "TENCENTCLOUD_REGION", "tccli profile default", ...

    def describe(self) -> str:
        """``ap-guangzhou (from the manifest)``: how plan headers show it."""
        if self.name is None:
            return "none"
        return f"{self.name} (from {self.source_phrase})"

    @property
    def source_phrase(self) -> str:
        if self.source in ("manifest", "saved plan"):
            return f"the {self.source}"
        return self.source


def tccli_profile_region(env: Mapping[str, str] | None = None, home: Path | None = None) -> str | None:
    """The region tccli's profile sets, or None (no profile, unreadable, or no region in it)."""
    env = os.environ if env is None else env
    profile = env.get("TCCLI_PROFILE") or "default"
    base = home if home is not None else Path(env.get("HOME") or Path.home())
    path = base / ".tccli" / f"{profile}.configure"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    sys_param = data.get("_sys_param") if isinstance(data, dict) else None
    region = sys_param.get("region") if isinstance(sys_param, dict) else None
    if region is None and isinstance(data, dict):
        region = data.get("region")  # older tccli kept it at the top level
    return region if isinstance(region, str) and region else None


def resolve_region(
    declared: str | None,
    flag: str | None,
    *,
    cloud: bool,
    declared_by: str = "manifest",
    env: Mapping[str, str] | None = None,
) -> ResolvedRegion:
    """The region of a run (see the module docstring). Raises RegionConflict when ``flag``
    disagrees with ``declared``."""
    env = os.environ if env is None else env
    if declared:
        if flag and flag != declared:
            raise RegionConflict(
                f"--region {flag} disagrees with the {declared_by}'s region {declared}; "
                f"the {declared_by} wins: drop --region, or change the {declared_by}"
            )
        return ResolvedRegion(declared, declared_by)
    if flag:
        return ResolvedRegion(flag, "--region")
    if env.get(ENV_VAR):
        return ResolvedRegion(env[ENV_VAR], ENV_VAR)
    if cloud:
        profile = tccli_profile_region(env)
        if profile:
            return ResolvedRegion(profile, f"tccli profile {env.get('TCCLI_PROFILE') or 'default'}")
        return ResolvedRegion(None, "nowhere")
    return ResolvedRegion(EMULATOR_DEFAULT_REGION, "the emulator's default")
