"""Connections for the units of one run: one TdmqApi per unit, one rate budget per target.

TDMQ counts its per-action limits per account, so every unit planned or applied against the same
endpoint and account draws from one shared ``RateLimiter``: twenty stacks together never send
faster than one stack may. The plan's count of the account's untagged queues and topics is the
same for every stack of one target: it is asked once per target and shared. ``--local`` starts one
embedded emulator for the run; it serves every region, each with its own state in ``.cmqinfra/``
(the single-stack ``--local`` uses the same files).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cmqinfra.project.units import StackUnit
from cmqinfra.run.region import RegionConflict, ResolvedRegion, resolve_region
from cmqinfra.run.session import DEFAULT_LOCAL_REGION, Failure, TargetOptions
from cmqinfra.run.trust import credentials_problem, endpoint_problem, normalise, operator_trusts


@dataclass(frozen=True)
class ResolvedTarget:
    """Where one unit goes, with everything the CLI filled in: the key of its rate budget."""

    kind: str  # "local" | "endpoint" | "cloud"
    url: str | None
    account: str | None
    region: str | None

    def describe(self) -> str:
        kinds = {"local": "local emulator", "endpoint": f"endpoint {self.url}", "cloud": "Tencent Cloud"}
        where = kinds[self.kind]
        return f"{where}, account {self.account}" if self.account else where

    @property
    def budget_key(self) -> tuple[str, str | None, str | None]:
        # One endpoint, one budget: the embedded emulator too serves every region on one door.
        return (self.kind, self.url, self.account)


def target_of(unit: StackUnit, options: TargetOptions, region: str | None) -> ResolvedTarget:
    """The environment's endpoint wins; the CLI's --endpoint / --local fill in for environments
    that name none; otherwise the real cloud."""
    if options.local and options.endpoint:
        raise Failure("--local and --endpoint cannot be used together")
    if unit.target.endpoint:
        # Named by the repository: honoured only as the operator allows (docs/security.md, G1).
        problem = endpoint_problem(unit.target.endpoint, options.allowed_endpoints)
        names = unit.target.credentials
        if problem is None and names is not None:
            problem = credentials_problem(unit.target.endpoint, options.allowed_endpoints,
                                          (names.secret_id, names.secret_key))
        if problem is not None:
            where = f"{unit.target.endpoint_at}: " if unit.target.endpoint_at else ""
            raise Failure(f"{where}{problem}")
        return ResolvedTarget("endpoint", unit.target.endpoint, unit.target.account, region)
    if options.endpoint:
        return ResolvedTarget("endpoint", options.endpoint, unit.target.account, region)
    if options.local:
        return ResolvedTarget("local", None, unit.target.account, region or DEFAULT_LOCAL_REGION)
    return ResolvedTarget("cloud", None, unit.target.account, region)


def unit_region(unit: StackUnit, manifest_region: str | None, options: TargetOptions) -> ResolvedRegion:
    """The one region rule (cmqinfra/run/region.py), with the environment's region playing the
    manifest's role: the declared region wins, a --region that disagrees with it is an error, and
    --region, TENCENTCLOUD_REGION, the tccli profile or the emulator's default only fill in."""
    declared_by = f"environment {unit.environment}" if unit.region else "manifest"
    cloud = not (options.local or options.endpoint or unit.target.endpoint)
    try:
        return resolve_region(unit.region or manifest_region, options.region, cloud=cloud,
                              declared_by=declared_by)
    except RegionConflict as exc:
        raise Failure(str(exc)) from None


class Connections:
    """Opens and closes the APIs of one run; thread-safe (units connect concurrently)."""

    def __init__(self, options: TargetOptions, workdir: Path, rate_scale: float = 1.0,
                 opener: Callable[[StackUnit, ResolvedTarget], Any] | None = None) -> None:
        """``opener``: how a PATH's one unit connects (as its flags say), instead of by its
        environment's target and credentials."""
        self._opener = opener
        self._options = options
        self._workdir = workdir
        self._rate_scale = rate_scale
        self._lock = threading.Lock()
        self._limiters: dict[tuple[str, str | None, str | None], Any] = {}
        self._emulators: dict[str, Any] = {}
        self._apis: list[Any] = []
        self._untagged: dict[tuple[object, ...], _Shared] = {}
        self._callers: dict[tuple[object, ...], str] = {}

    def limiter_for(self, target: ResolvedTarget) -> Any:
        from cmqinfra.cloud.limiter import RateLimiter

        with self._lock:
            limiter = self._limiters.get(target.budget_key)
            if limiter is None:
                limiter = self._limiters[target.budget_key] = RateLimiter(scale=self._rate_scale)
            return limiter

    def open(self, unit: StackUnit, target: ResolvedTarget) -> Any:
        """A TdmqApi for ``unit`` on ``target``, drawing on the target's shared rate budget."""
        from cmqinfra.cloud.target import Target, open_api
        from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY
        from cmqinfra.run.targets import open_target

        if self._opener is not None:
            api = self._opener(unit, target)
            with self._lock:
                self._apis.append(api)
            return api
        options = self._options
        limiter = self.limiter_for(target)
        credentials = _credentials_of(unit)
        if target.kind == "local":
            from cmqinfra.emulator import inprocess

            emu = self._local_emulator()
            api = open_api(Target.endpoint(emu.url), target.region, parallelism=options.parallelism,
                           timeout=options.timeout, limiter=limiter, credentials=credentials,
                           fallback_credentials=(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY),
                           transport=lambda client: inprocess.connect(client, emu))
        elif target.kind == "endpoint" and _named_by_repository(unit, target, options):
            # A loopback emulator the repository names (target_of let nothing else through):
            # signed with the emulator's documented pair, never with the operator's credentials.
            api = open_api(Target.endpoint(str(target.url)), target.region,
                           parallelism=options.parallelism, timeout=options.timeout,
                           limiter=limiter, credentials=(DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, None))
        elif target.kind == "endpoint":
            if credentials is not None:
                api = open_api(Target.endpoint(str(target.url)), target.region,
                               parallelism=options.parallelism, timeout=options.timeout,
                               limiter=limiter, credentials=credentials)
            else:
                api = open_target(Target.endpoint(str(target.url)), target.region,
                                  parallelism=options.parallelism, timeout=options.timeout,
                                  limiter=limiter)
        else:
            if target.region is None and unit.environment is None:  # a PATH's stack
                raise Failure("no region: set region in the manifest, pass --region, set "
                              "TENCENTCLOUD_REGION, or configure a tccli profile region")
            if target.region is None:
                raise Failure("no region: give its environment a region, set region in the "
                              "manifest, pass --region or set TENCENTCLOUD_REGION")
            api = open_api(Target.cloud(), target.region, parallelism=options.parallelism,
                           timeout=options.timeout, limiter=limiter, credentials=credentials)
        with self._lock:
            self._apis.append(api)
        if target.kind != "local":  # the embedded emulator is no account of anyone's
            self._check_account(unit, target, api)
        return api

    def _check_account(self, unit: StackUnit, target: ResolvedTarget, api: Any) -> None:
        """The environment's accounts against GetCallerIdentity, before any other call (like
        Terraform's allowed_account_ids): credentials of another account never read or write."""
        allowed = unit.target.allowed_accounts
        if not allowed:
            return
        key = (*target.budget_key, unit.target.credentials)
        with self._lock:
            known = self._callers.get(key)
        if known is None:
            known = self._callers[key] = api.caller_account() or "unknown"
        if known not in allowed:
            declared = " or ".join(allowed)
            raise Failure(f"environment {unit.environment} is for account {declared}, and these "
                          f"credentials belong to account {known}; nothing was read or changed")

    def untagged_count(
        self, unit: StackUnit, target: ResolvedTarget, api: Any
    ) -> Callable[[], Callable[[], int | None]]:
        """The count of untagged queues and topics on ``target``'s account and region, asked once
        a run: called, it starts the count (through ``api``, for the first unit whose read gets
        there) or joins the one started, and returns a function that waits for the answer. Units
        with other credentials may be other accounts: they are counted apart."""
        key = self.count_key(unit, target)
        with self._lock:
            shared = self._untagged.get(key)
            if shared is None:
                shared = self._untagged[key] = _Shared(api.count_untagged)
        return shared.begin

    @staticmethod
    def count_key(unit: StackUnit, target: ResolvedTarget) -> tuple[object, ...]:
        """One account and region: the units that share it share its counts."""
        return (*target.budget_key, target.region, unit.target.credentials)

    def counts(self, key: tuple[object, ...]) -> Any:
        """The account counts asked for ``key`` in this run (``AccountCounts``), or None."""
        with self._lock:
            shared = self._untagged.get(key)
        return None if shared is None else shared.started

    def cancel_counts(self) -> None:
        """The run gave up before planning (its manifests did not resolve): the account counts its
        reads started are not sent, or waited for if already out."""
        with self._lock:
            started = [shared.started for shared in self._untagged.values()]
        for counts in started:
            if counts is not None and hasattr(counts, "cancel"):
                counts.cancel()

    def _local_emulator(self) -> Any:
        """The one embedded emulator of the run: it serves every region, each with its own state
        (``.cmqinfra/emulator-ap-shanghai.sqlite3`` beside the first region's), as the cloud does.
        Only this run talks to it, so it opens no port: the SDK's requests reach it in process."""
        from cmqinfra.cloud.target import LOCAL_STATE
        from cmqinfra.emulator import Emulator

        with self._lock:
            emu = self._emulators.get("")
            if emu is None:
                state = self._workdir / LOCAL_STATE
                state.parent.mkdir(parents=True, exist_ok=True)
                emu = self._emulators[""] = Emulator.start(state, region=DEFAULT_LOCAL_REGION,
                                                           serve_http=False)
            return emu

    def call_counts(self) -> dict[str, int]:
        return self._summed("call_counts")

    def throttled_counts(self) -> dict[str, int]:
        """Calls the service refused as over its rate limit, per action, on every unit's API."""
        return self._summed("throttled_counts")

    @property
    def pacing_slack(self) -> float:
        """The widest slack any of the run's rate budgets learned (cloud/limiter.py)."""
        with self._lock:
            apis = list(self._apis)
        return max((getattr(api, "pacing_slack", 0.0) for api in apis), default=0.0)

    def _summed(self, counts: str) -> dict[str, int]:
        total: dict[str, int] = {}
        with self._lock:
            apis = list(self._apis)
        for api in apis:
            for action, n in getattr(api, counts, dict)().items():
                total[action] = total.get(action, 0) + n
        return total

    def close(self) -> None:
        with self._lock:
            apis, self._apis = self._apis, []
            emulators, self._emulators = list(self._emulators.values()), {}
        for api in apis:
            close = getattr(api, "close", None)  # an API of a PATH's opener may hold nothing to close
            if close is not None:
                close()
        for emu in emulators:
            emu.stop()


class _Shared:
    """One answer for many askers: started by the first, waited for by all."""

    def __init__(self, start: Callable[[], Callable[[], int | None]]) -> None:
        self._start = start
        self._wait: Callable[[], int | None] | None = None
        self._lock = threading.Lock()

    def begin(self) -> Callable[[], int | None]:
        with self._lock:  # its own lock: sending may wait on the rate limit
            if self._wait is None:
                self._wait = self._start()
            return self._wait

    @property
    def started(self) -> Callable[[], int | None] | None:
        with self._lock:
            return self._wait


def _named_by_repository(unit: StackUnit, target: ResolvedTarget, options: TargetOptions) -> bool:
    """Whether ``target`` is the endpoint the repository names for ``unit``'s environment and the
    operator has neither allowed it nor named it with --endpoint."""
    if unit.target.endpoint is None or target.url is None:
        return False
    operator = (*options.allowed_endpoints, *((options.endpoint,) if options.endpoint else ()))
    return (normalise(target.url) == normalise(unit.target.endpoint)
            and not operator_trusts(target.url, [normalise(u) for u in operator]))


def _credentials_of(unit: StackUnit) -> tuple[str, str, str | None] | None:
    names = unit.target.credentials
    if names is None:
        return None
    secret_id, secret_key = os.environ.get(names.secret_id), os.environ.get(names.secret_key)
    if not secret_id or not secret_key:
        # Only the names are shown: they say where the keys should be, never what they are.
        raise Failure(f"its environment's credentials are read from ${names.secret_id} and "
                      f"${names.secret_key}, and they are not set")
    token = os.environ.get(names.session_token) if names.session_token else None
    return secret_id, secret_key, token
