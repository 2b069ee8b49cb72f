"""The shared steps of a run: the flags' target options, loading a PATH's manifest (a project's
stack path refused, the project's policies by path), the region rule, connecting, reading, one
stack's plan from its live state (``compute``, for library callers), saved plans bound to their
target and account, approval, and one error line per failure. The session over a run's units
(a PATH's one, or a project's many) is cmqinfra/run/unit_*.py."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cmqinfra.cloud.api import CmqApi
from cmqinfra.diagnostics import Diagnostic
from cmqinfra.live import LiveState, name_key
from cmqinfra.model import Stack
from cmqinfra.plan.compute import make_plan
from cmqinfra.plan.values import Action, Plan
from cmqinfra.run.binding import PlanTarget, account_mismatch, place_mismatch, region_mismatch, target_of
from cmqinfra.run.failure import Failure, Refused
from cmqinfra.run.region import EMULATOR_DEFAULT_REGION, RegionConflict, ResolvedRegion, resolve_region

if TYPE_CHECKING:
    from cmqinfra.run.saved import SavedPlan

DEFAULT_LOCAL_REGION = EMULATOR_DEFAULT_REGION
# Saved plans are cmqinfra/run/saved.py's, loaded only by the runs that save or read one.
__all__ = ["Failure", "Refused"]


@dataclass(frozen=True)
class TargetOptions:
    local: bool = False
    endpoint: str | None = None
    region: str | None = None
    parallelism: int = 10
    debug: bool = False
    timeout: float = 10.0  # seconds one API call may take before it is retried
    workdir: str | None = None  # where --local keeps .cmqinfra/ (default: the working directory)
    # endpoints the operator allows the repository to name (--allow-endpoint, the CI variable)
    allowed_endpoints: tuple[str, ...] = ()


class ManifestErrors(Failure):
    """The manifest has errors: the located diagnostics, for renderings other than text."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__(message)
        self.diagnostics = tuple(diagnostics)


# The operator's policy file (policy/config.py owns the name; tests/test_startup.py holds them equal).
OPERATOR_POLICIES = "CMQINFRA_POLICIES"


def refuse_project_member(paths: Sequence[str]) -> None:
    """A PATH that is a stack of a project (cmqinfra.yaml above it) is planned with its
    environment, by --stack and --env, never read alone as a stranger."""
    from cmqinfra.manifest.projectfile import any_under_a_project

    if not any_under_a_project(paths):
        return  # no cmqinfra.yaml above them: the project machinery is not even loaded
    from cmqinfra.project.membership import project_member

    why = project_member(paths)
    if why is not None:
        raise Failure(why)


def load(paths: Sequence[str]) -> Stack:
    """The desired stack from manifest files; diagnostics compiler style on failure. (The
    commands refuse a project's stack path first: ``refuse_project_member``.)"""
    from cmqinfra.manifest import load_stack  # the manifest stream's loader

    result = load_stack([Path(p) for p in paths])
    for d in result.diagnostics:
        click.echo(d.render(), err=True)
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    if errors or result.stack is None:
        raise ManifestErrors(f"{len(errors)} error(s) in the manifest", result.diagnostics)
    from cmqinfra.manifest.projectfile import any_under_a_project

    if not os.environ.get(OPERATOR_POLICIES) and not any_under_a_project(paths):
        return result.stack  # no policy can apply: the project layer is not even loaded
    from cmqinfra.project.policies import for_paths  # the project's policies apply by path too

    stack, problems = for_paths(result.stack, paths)
    for d in problems:
        click.echo(d.render(), err=True)
    if problems:
        raise ManifestErrors(f"{len(problems)} error(s) in the project file", problems)
    return stack


def resolve(options: TargetOptions, stack: Stack | None) -> ResolvedRegion:
    """The run's region and where it came from (cmqinfra/run/region.py has the one rule)."""
    try:
        return resolve_region(
            stack.region if stack else None, options.region, cloud=not (options.local or options.endpoint)
        )
    except RegionConflict as exc:
        raise Failure(str(exc)) from None


def region_for(options: TargetOptions, stack: Stack | None) -> str | None:
    return resolve(options, stack).name


def target_for(options: TargetOptions, region: str | None) -> PlanTarget:
    """Where the flags point (the account is learnt once connected)."""
    if options.local and options.endpoint:
        raise Failure("--local and --endpoint cannot be used together")
    return target_of(options.local, options.endpoint, Path(options.workdir or Path.cwd()), region)


def connect(options: TargetOptions, region: str | None) -> CmqApi:
    from cmqinfra.cloud.target import Target
    from cmqinfra.run.targets import open_target

    if options.local and options.endpoint:
        raise Failure("--local and --endpoint cannot be used together")
    if options.local:
        target = Target.local(Path(options.workdir) if options.workdir else Path.cwd())
    elif options.endpoint:
        target = Target.endpoint(options.endpoint)
    else:
        target = Target.cloud()
        if region is None:
            raise Failure(
                "no region: set region in the manifest, pass --region, set TENCENTCLOUD_REGION, "
                "or configure a tccli profile region"
            )
    return open_target(target, region, parallelism=options.parallelism, timeout=options.timeout)


def read_live(stack: Stack, api: CmqApi, targets: Sequence[str] = ()) -> LiveState:
    """The whole stack's live state, or (with targets) only what a partial plan needs."""
    if not targets:
        return api.read(stack)
    from cmqinfra.plan.targets import target_closure

    closure = target_closure(stack, targets)
    return api.read_named(
        stack,
        queues=closure.queues.values(),
        topics=closure.topics.values(),
        listed_topics=closure.listed_topics,
        subscriptions=closure.single_subscriptions,
    )


def compute(
    stack: Stack,
    api: CmqApi,
    region: str | None,
    *,
    allow_data_loss: bool = False,
    destroy: bool = False,
    approved_data_loss: frozenset[str] | None = None,
    region_source: str | None = None,
    targets: Sequence[str] = (),
    live: LiveState | None = None,
) -> Plan:
    """One stack's plan on a connected API, for library callers (bootstrap, the pytest plugin,
    the benchmarks): read (or take ``live``, already read), plan, and look up the users of the
    queues it would delete. The CLI plans every run, a PATH's included, with
    ``run.runner.plan_project``, which adds what spans units (moves, claims)."""
    live = read_live(stack, api, targets) if live is None or targets else live
    count_untagged = getattr(api, "untagged_total", None)
    if count_untagged is not None and not targets and live.untagged_total is None:  # not counted by the read
        live = replace(live, untagged_total=count_untagged())
    kwargs: dict[str, Any] = {
        "region": region,
        "allow_data_loss": allow_data_loss,
        "destroy": destroy,
        "approved_data_loss": approved_data_loss,
        "region_source": region_source,
        "targets": tuple(targets),
    }
    plan = make_plan(stack, live, **kwargs)
    # The users of a queue are only looked up for the queues this plan would delete.
    doomed = tuple(
        c.name
        for c in plan.changes
        if c.type == "queue" and c.action is Action.DELETE and name_key(c.name) not in live.endpoint_users
    )
    if doomed:
        users = api.endpoint_users(doomed)
        live = replace(live, endpoint_users={**live.endpoint_users, **users})
        plan = make_plan(stack, live, **kwargs)
    return plan


# A plan of more changes than this is shown as its summary and destructive changes before the
# approval prompt; the whole plan only with --verbose (or from a saved plan with `show`).
LONG_PLAN = 100


def save(plan: Plan, path: str, target: PlanTarget | None = None) -> None:
    """The plan, the desired stack, its target and the live-state fingerprint. No credentials ever."""
    from cmqinfra.run.saved import write_saved

    write_saved(plan, path, target)


def announce_digest(path: str, fmt: str) -> None:
    """The saved plan's digest: on stderr, and at the end of a comment, where the reviewer sees it
    and the apply job can require it (``apply --expect-digest``; cmqinfra/run/seal.py)."""
    from cmqinfra.run.seal import last_digest

    digest = last_digest(path)
    if digest is None:
        return
    click.echo(f"Plan digest: {digest} (apply --plan {path} --expect-digest {digest})", err=True)
    if fmt == "markdown":
        click.echo(f"\nSaved plan digest: `{digest}` (`cmqinfra apply --expect-digest {digest}` applies "
                   "only this plan)")


def bind(target: PlanTarget, api: CmqApi) -> PlanTarget:
    """``target`` with the account the credentials belong to."""
    return replace(target, account=api.caller_account())


def check_writable(path: str) -> None:
    """Refuse an --out path that cannot be written, before any API call."""
    parent = Path(path).parent
    if not parent.is_dir():
        raise Failure(f"cannot write the plan to {path}: directory {parent} does not exist")
    if Path(path).is_dir():
        raise Failure(f"cannot write the plan to {path}: it is a directory")


def bound_options(saved: SavedPlan, options: TargetOptions, path: str) -> TargetOptions:
    """The target options of a run of a saved plan: its own target unless flags name one, and
    then they must name the same. Refuses, naming both, before any API call."""
    planned = saved.target
    if planned is None:
        raise Failure(
            f"{path}: the saved plan does not say where it was made; nothing was changed (run plan again)"
        )
    problem = region_mismatch(planned, options.region)
    if problem is None and (options.local or options.endpoint):
        problem = place_mismatch(planned, target_for(options, planned.region))
    if problem is not None:
        raise Failure(f"{path}: {problem}; nothing was changed")
    return replace(
        options,
        local=planned.kind == "local",
        endpoint=planned.endpoint if planned.kind == "endpoint" else None,
        region=planned.region,
        workdir=str(planned.workdir) if planned.workdir else options.workdir,
    )


def check_account(saved: SavedPlan, api: CmqApi, path: str) -> None:
    """The account the credentials belong to must be the one the plan was made against."""
    assert saved.target is not None
    problem = account_mismatch(saved.target, api.caller_account())
    if problem is not None:
        raise Failure(f"{path}: {problem}; nothing was changed")


class EditedPlan(Failure):
    """A saved plan whose desired state plans to other changes than the ones it records."""


def check_not_stale(saved: SavedPlan, fresh: Plan, path: str) -> None:
    from cmqinfra.render.json import plan_to_json

    fresh_actions = tuple(
        (c["address"], tuple(c["change"]["actions"])) for c in plan_to_json(fresh)["resource_changes"]
    )
    if fresh.fingerprint != saved.fingerprint:
        raise Failure(
            f"{path}: the saved plan is stale: live state changed since it was made; nothing was changed "
            "(run plan again)"
        )
    # What `show` prints is the file's recorded changes; what runs is planned again from its desired
    # stack. They must be the same changes, value for value, or the file was not written by plan.
    if fresh_actions != saved.actions or saved.plan is not None and (
            plan_to_json(fresh)["resource_changes"] != plan_to_json(saved.plan)["resource_changes"]):
        raise EditedPlan(
            f"{path}: the saved plan's recorded changes are not what its desired state plans to (the file "
            "was edited); nothing was changed (run plan again)"
        )


def check_unchanged(plan: Plan, api: CmqApi, name: str = "") -> None:
    """After a 'yes': the live state read again must be the one the plan shown was made from.
    The answer approved what was on the screen; anything that moved while the prompt waited
    (another apply, a console edit) makes that plan another one. Messages are checked again at
    each delete (cmqinfra/run/executor.py)."""
    from cmqinfra.plan.fingerprint import fingerprint

    if fingerprint(read_live(plan.stack, api, plan.targets)) != plan.fingerprint:
        who = f"{name}: " if name else ""
        raise Failure(f"{who}live state changed while the approval waited: the plan shown is no longer "
                      "what would run; nothing was changed (run apply again to see the new plan)")


def interactive() -> bool:
    """Whether someone can answer a prompt (stdin is a terminal)."""
    return sys.stdin.isatty()


def confirm(auto_approve: bool, what: str) -> None:
    if auto_approve:
        return
    if not interactive():
        raise Failure(f"refusing to {what} without --auto-approve: no terminal to confirm on")
    click.echo(f"\nDo you want to {what}? Only 'yes' will be accepted.")
    answer = click.prompt("  Enter a value", default="", show_default=False)
    if answer.strip() != "yes":
        raise Failure("cancelled: the answer was not 'yes'; nothing was changed")


def print_call_counts(apis: Sequence[Any], heading: str = "API calls per action") -> None:
    """``--debug``: the calls per action of these APIs (or a run's ``Connections``) together, and
    what pacing cost: the calls the service refused as over its rate limit and the client retried,
    and the slack learned from them."""
    counts: dict[str, int] = {}
    refused = 0
    slack = 0.0
    for api in apis:
        for action, n in api.call_counts().items():
            counts[action] = counts.get(action, 0) + n
        refused += sum(getattr(api, "throttled_counts", dict)().values())
        slack = max(slack, getattr(api, "pacing_slack", 0.0))
    click.echo(f"{heading}:", err=True)
    for action, n in sorted(counts.items()):
        click.echo(f"  {action}: {n}", err=True)
    click.echo(f"  total: {sum(counts.values())}", err=True)
    if refused:
        click.echo(f"  refused as over the rate limit and retried: {refused} "
                   f"(pacing slack learned from them: {slack * 1000:.0f} ms)", err=True)


@contextmanager
def user_errors(
    debug: bool,
    api_holder: list[CmqApi],
    fmt: str = "text",
    stack: str | None = None,
    command: str = "plan",
) -> Iterator[None]:
    """One line per error, never a traceback; exit 1. ``--debug`` adds the call counts.
    With ``fmt`` markdown or json the error is also rendered on stdout (a pull-request comment
    or a tool never gets an empty page)."""
    from cmqinfra.cloud.errors import CloudError, CredentialsError
    from cmqinfra.render.diagnostics import render_failure
    from cmqinfra.render.escape import terminal

    code = 0
    message: str | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    try:
        yield
    except ManifestErrors as exc:
        message, diagnostics = str(exc), exc.diagnostics
        click.echo(terminal(f"error: {exc}"), err=True)
        code = 1
    except Refused as exc:
        click.echo(terminal(f"error: {exc}"), err=True)
        code = 1
    except Failure as exc:
        message = str(exc)
        click.echo(terminal(f"error: {exc}"), err=True)
        code = 1
    except CloudError as exc:
        message = exc.describe()
        click.echo(terminal(f"error: {message}"), err=True)
        code = 1
    except CredentialsError as exc:
        message = str(exc)
        click.echo(terminal(f"error: {exc}"), err=True)
        code = 1
    finally:
        if message is not None and fmt in ("markdown", "json"):
            click.echo(render_failure(message, diagnostics, fmt, stack=stack, command=command), nl=False)
        if debug:
            print_call_counts(api_holder[:1])
        for api in api_holder:
            close = getattr(api, "close", None)
            if close is not None:
                close()
    if code:
        raise click.exceptions.Exit(code)
