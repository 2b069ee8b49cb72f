"""What plan / apply / destroy share: load the stack, open the API, read live state, make the
plan, save and reload plans, ask for approval, run and report. The commands only wire flags."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click

from cmqinfra import __version__
from cmqinfra.cloud.api import CmqApi
from cmqinfra.live import LiveState, name_key
from cmqinfra.model import Stack
from cmqinfra.plan.compute import make_plan
from cmqinfra.plan.shape import stack_from_data, stack_to_data
from cmqinfra.plan.targets import parse_target, target_closure
from cmqinfra.plan.values import Action, Plan
from cmqinfra.render import use_colour
from cmqinfra.render.json import plan_to_json
from cmqinfra.render.text import render_text
from cmqinfra.run.executor import ApplyReport, StepResult, execute

SAVED_PLAN_KIND = "cmqinfra-saved-plan"
DEFAULT_LOCAL_REGION = "ap-guangzhou"


class Failure(Exception):
    """An error already worded for the user: one line (or diagnostics), exit 1."""


@dataclass(frozen=True)
class TargetOptions:
    local: bool = False
    endpoint: str | None = None
    region: str | None = None
    parallelism: int = 10
    debug: bool = False
    timeout: float = 10.0  # seconds one API call may take before it is retried


def load(paths: Sequence[str]) -> Stack:
    """The desired stack from manifest files; diagnostics compiler style on failure."""
    from cmqinfra.manifest import load_stack  # the manifest stream's loader

    result = load_stack([Path(p) for p in paths])
    for d in result.diagnostics:
        click.echo(d.render(), err=True)
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    if errors or result.stack is None:
        raise Failure(f"{len(errors)} error(s) in the manifest")
    return result.stack


def check_targets(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Every --target is an address; a bad one is a usage error naming it."""
    try:
        return tuple(dict.fromkeys(parse_target(v) for v in value))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def region_for(options: TargetOptions, stack: Stack | None) -> str | None:
    region = options.region or os.environ.get("TENCENTCLOUD_REGION") or (stack.region if stack else None)
    if region is None and (options.local or options.endpoint):
        region = DEFAULT_LOCAL_REGION
    return region


def connect(options: TargetOptions, region: str | None) -> CmqApi:
    from cmqinfra.cloud.target import Target
    from cmqinfra.run.targets import open_target

    if options.local and options.endpoint:
        raise Failure("--local and --endpoint cannot be used together")
    if options.local:
        target = Target.local(Path.cwd())
    elif options.endpoint:
        target = Target.endpoint(options.endpoint)
    else:
        target = Target.cloud()
        if region is None:
            raise Failure("no region: pass --region, set TENCENTCLOUD_REGION, or set region in the manifest")
    return open_target(target, region, parallelism=options.parallelism, timeout=options.timeout)


def load_and_read(
    paths: Sequence[str], options: TargetOptions, api_holder: list[CmqApi], *, whole: bool = True
) -> tuple[Stack, str | None, LiveState | None]:
    """The desired stack, its region, a connected API (appended to ``api_holder``) and, when
    the manifest names its stack and region on plain top-level lines, the live state read while
    the manifest was loading (see cmqinfra/run/overlap.py). Otherwise: load, connect, no live.
    ``whole=False`` (a partial plan, --target): no early read, it would read the whole stack."""
    from cmqinfra.manifest.peek import peek
    from cmqinfra.run.overlap import read_while_loading

    heading = peek(paths)
    region = options.region or os.environ.get("TENCENTCLOUD_REGION") or heading.region
    if region is None and options.endpoint:
        region = DEFAULT_LOCAL_REGION
    # The embedded emulator is created on connect: never before the manifest is known to load.
    if heading.stack is None or region is None or options.local or not whole:
        stack = load(paths)
        region = region_for(options, stack)
        api_holder.append(connect(options, region))
        return stack, region, None
    try:
        api_holder.append(connect(options, region))
    except Exception:
        load(paths)  # the manifest's own errors come first, as without the overlap
        raise
    stack, live = read_while_loading(api_holder[0], heading.stack, lambda: load(paths))
    if region_for(options, stack) != region:  # not the line we read: connect where the manifest says
        region = region_for(options, stack)
        api_holder.append(connect(options, region))
        api_holder[0], api_holder[-1] = api_holder[-1], api_holder[0]
        return stack, region, None
    return stack, region, live


def read_live(stack: Stack, api: CmqApi, targets: Sequence[str] = ()) -> LiveState:
    """The whole stack's live state, or (with targets) only what a partial plan needs."""
    if not targets:
        return api.read(stack)
    closure = target_closure(stack, targets)
    return api.read_named(
        stack,
        queues=closure.queues.values(),
        topics=closure.topics.values(),
        listed_topics=closure.listed_topics,
        subscriptions=closure.single_subscriptions,
    )


def claims_for(stack: Stack, paths: Sequence[str]) -> Callable[[], Mapping[str, str]]:
    """What the project around ``paths`` takes from ``stack`` with ``moved`` (looked up lazily)."""

    def find() -> Mapping[str, str]:
        from cmqinfra.project.claims import claimed_from

        return claimed_from(stack.name, paths)

    return find


def compute(
    stack: Stack,
    api: CmqApi,
    region: str | None,
    *,
    allow_data_loss: bool = False,
    destroy: bool = False,
    targets: Sequence[str] = (),
    moves_in: Mapping[str, str] | None = None,
    moves_out: Mapping[str, str] | None = None,
    claims: Callable[[], Mapping[str, str]] | None = None,
    live: LiveState | None = None,
) -> Plan:
    """Read and plan. ``claims``: asked only when the plan would delete a queue or topic, for
    what other stacks take from this one with ``moved`` (those move out instead). ``live``: the
    whole stack's state, already read while the manifest loaded (see ``load_and_read``)."""
    live = read_live(stack, api, targets) if live is None or targets else live
    extra: dict[str, Any] = {
        "region": region,
        "allow_data_loss": allow_data_loss,
        "destroy": destroy,
        "targets": tuple(targets),
        "moves_in": moves_in,
        "moves_out": moves_out,
    }
    plan = make_plan(stack, live, **extra)
    deleted = {
        c.address.casefold() for c in plan.changes if c.action is Action.DELETE and c.type != "subscription"
    }
    if deleted and claims is not None:
        claimed = {a: s for a, s in claims().items() if a.casefold() in deleted}
        if claimed:
            extra["moves_out"] = {**(moves_out or {}), **claimed}
            plan = make_plan(stack, live, **extra)
    # The users of a queue are only looked up for the queues this plan would delete.
    doomed = tuple(
        c.name
        for c in plan.changes
        if c.type == "queue" and c.action is Action.DELETE and name_key(c.name) not in live.endpoint_users
    )
    if doomed:
        users = api.endpoint_users(doomed)
        live = replace(live, endpoint_users={**live.endpoint_users, **users})
        plan = make_plan(stack, live, **extra)
    return plan


def show(plan: Plan, fmt: str = "text") -> None:
    if fmt == "json":
        click.echo(json.dumps(plan_to_json(plan), indent=2))
    else:
        click.echo(render_text(plan, colour=use_colour(sys.stdout)), nl=False)


def save(plan: Plan, path: str) -> None:
    """The plan, the desired stack and the live-state fingerprint. No credentials ever."""
    Path(path).write_text(json.dumps(saved_doc(plan), indent=2) + "\n", encoding="utf-8")


def saved_doc(plan: Plan) -> dict[str, Any]:
    """A saved plan as data (a project plan file holds one per stack)."""
    doc: dict[str, Any] = plan_to_json(plan)
    doc["saved_plan"] = {
        "kind": SAVED_PLAN_KIND,
        "cmqinfra_version": __version__,
        "fingerprint": plan.fingerprint,
        "destroy": plan.destroy,
        "targets": list(plan.targets),
        "desired": stack_to_data(plan.stack),
    }
    return doc


@dataclass(frozen=True)
class SavedPlan:
    stack: Stack
    region: str | None
    fingerprint: str
    destroy: bool
    actions: tuple[tuple[str, tuple[str, ...]], ...]
    targets: tuple[str, ...] = ()  # a partial plan is applied with the same targets


def read_saved(path: str) -> SavedPlan:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise Failure(f"{path}: cannot read the saved plan: {exc.strerror}") from None
    except ValueError as exc:
        raise Failure(f"{path}: not a cmqinfra saved plan ({exc})") from None
    return saved_from_doc(doc, path)


def saved_from_doc(doc: Any, path: str) -> SavedPlan:
    """A saved plan from its data; ``path`` names it in errors."""
    try:
        meta = doc["saved_plan"]
        if meta.get("kind") != SAVED_PLAN_KIND:
            raise KeyError("kind")
        made_by = meta.get("cmqinfra_version")
        if made_by != __version__:
            # Like a Terraform plan file, a saved plan belongs to the version that made it: its
            # live-state fingerprint is only comparable with one computed by the same code.
            raise Failure(
                f"{path}: the saved plan was made by cmqinfra {made_by or 'of another version'}, "
                f"this is cmqinfra {__version__}; nothing was changed (run plan again)"
            )
        return SavedPlan(
            stack=stack_from_data(meta["desired"]),
            region=doc.get("region"),
            fingerprint=meta["fingerprint"],
            destroy=bool(meta.get("destroy", False)),
            actions=tuple((c["address"], tuple(c["change"]["actions"])) for c in doc["resource_changes"]),
            targets=tuple(str(a) for a in meta.get("targets") or ()),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise Failure(f"{path}: not a cmqinfra saved plan ({exc})") from None


def check_not_stale(saved: SavedPlan, fresh: Plan, path: str) -> None:
    fresh_actions = tuple(
        (c["address"], tuple(c["change"]["actions"])) for c in plan_to_json(fresh)["resource_changes"]
    )
    if fresh.fingerprint != saved.fingerprint or fresh_actions != saved.actions:
        raise Failure(
            f"{path}: the saved plan is stale: live state changed since it was made; nothing was changed "
            "(run plan again)"
        )


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
        raise Failure(f"{what} cancelled")


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """SIGINT / SIGTERM stop launching new work; in-flight calls finish and are reported."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, _frame: object) -> None:
        stop.set()
        click.echo(f"\n{signal.Signals(signum).name}: stopping after the calls in flight...", err=True)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _progress(result: StepResult) -> None:
    if result.ok:
        click.echo(f"{result.address}: {result.verb} ({result.seconds:.2f}s)")
    else:
        click.echo(f"{result.address}: FAILED ({result.seconds:.2f}s): {result.error}", err=True)


def run(plan: Plan, api: CmqApi, parallelism: int) -> ApplyReport:
    with stop_on_signals() as stop:
        report = execute(plan, api, parallelism=parallelism, on_result=_progress, stop=stop)
    s = plan.summary
    if plan.partial:
        click.echo(
            f"\nWarning: this apply was PARTIAL (--target {' '.join(plan.targets)}); run a full plan to see "
            "whether other changes are pending.",
            err=True,
        )
    if report.ok:
        counts = ((s.adopt, "adopted"), (s.move, "moved"), (s.release, "released"), (s.import_, "imported"))
        extra = "".join(f", {n} {word}" for n, word in counts if n)
        click.echo(
            f"\n{'Destroy' if plan.destroy else 'Apply'} complete! Resources: "
            f"{s.add} added, {s.change} changed, {s.destroy} destroyed{extra}."
        )
    else:
        why = "interrupted" if report.interrupted else "failed"
        click.echo(
            f"\nApply {why}: {len(report.done)} step(s) done, {len(report.failed)} failed, "
            f"{len(report.not_started)} not started.",
            err=True,
        )
        for r in report.done:
            click.echo(f"  done:        {r.address} ({r.phase})", err=True)
        for r in report.failed:
            click.echo(f"  failed:      {r.address} ({r.phase}): {r.error}", err=True)
        for item in report.not_started:
            click.echo(f"  not started: {item}", err=True)
        click.echo("Running apply again converges from here.", err=True)
    return report


def print_call_counts(api: CmqApi | None) -> None:
    if api is None:
        return
    counts = api.call_counts()
    click.echo("API calls per action:", err=True)
    for action, n in sorted(counts.items()):
        click.echo(f"  {action}: {n}", err=True)
    click.echo(f"  total: {sum(counts.values())}", err=True)


@contextmanager
def user_errors(debug: bool, api_holder: list[CmqApi]) -> Iterator[None]:
    """One line per error, never a traceback; exit 1. ``--debug`` adds the call counts."""
    from cmqinfra.cloud.errors import CloudError, CredentialsError

    code = 0
    try:
        yield
    except Failure as exc:
        click.echo(f"error: {exc}", err=True)
        code = 1
    except CloudError as exc:
        click.echo(f"error: {exc.describe()}", err=True)
        code = 1
    except CredentialsError as exc:
        click.echo(f"error: {exc}", err=True)
        code = 1
    finally:
        if debug:
            print_call_counts(api_holder[0] if api_holder else None)
        for api in api_holder:
            close = getattr(api, "close", None)
            if close is not None:
                close()
    if code:
        raise click.exceptions.Exit(code)
