"""``cmqinfra emulator messages|purge|redrive|reset``: the admin endpoints from the command line.

Against a running emulator with ``--endpoint URL`` (signed with the emulator's key pair), or
without it directly on the local state file (``--data``, default ``.cmqinfra/emulator.sqlite3``,
the one ``--local`` runs and ``cmqinfra emulator`` use). Both give the same answers; ``--format
json`` prints the endpoint's JSON as is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from cmqinfra.local_pair import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

DEFAULT_DATA = ".cmqinfra/emulator.sqlite3"
BODY_SHOWN = 60

Operation = Callable[[Any], dict[str, Any]]  # given an AdminClient or a Backend-backed stand-in


def _target_options(function: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--endpoint",
            metavar="URL",
            envvar="CMQINFRA_EMULATOR_ENDPOINT",
            help="A running emulator (http://HOST:PORT); without it, the local state file.",
        ),
        click.option(
            "--data",
            default=DEFAULT_DATA,
            show_default=True,
            type=click.Path(dir_okay=False),
            help="The local state file, used when no --endpoint is given.",
        ),
        click.option(
            "--secret-id",
            envvar="CMQINFRA_EMULATOR_SECRET_ID",
            default=DEFAULT_SECRET_ID,
            show_default=True,
            help="The emulator's SecretId (env CMQINFRA_EMULATOR_SECRET_ID).",
        ),
        click.option(
            "--secret-key",
            envvar="CMQINFRA_EMULATOR_SECRET_KEY",
            default=DEFAULT_SECRET_KEY,
            show_default=False,
            help="The emulator's SecretKey (env CMQINFRA_EMULATOR_SECRET_KEY); the documented local key "
            "by default.",
        ),
        click.option(
            "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


class _Local:
    """The admin operations on a state file, in this process, answering the endpoints' JSON."""

    def __init__(self, data: str) -> None:
        from cmqinfra.emulator.backend import Backend

        path = Path(data)
        if not path.is_file():
            raise click.ClickException(
                f"no emulator state at {data}: start one (cmqinfra emulator), pass --data, or --endpoint URL"
            )
        self._backend = Backend.open(path, push_loop=False)

    def close(self) -> None:
        self._backend.close()

    def peek(self, queue: str, limit: int) -> dict[str, Any]:
        from cmqinfra.emulator.admin_door import peek_json

        return peek_json(self._backend, queue, limit)

    def purge(self, queue: str) -> dict[str, Any]:
        from cmqinfra.emulator.admin_door import purge_json

        return purge_json(self._backend, queue)

    def redrive(self, queue: str) -> dict[str, Any]:
        return self._backend.redrive(queue).to_json()

    def reset(self, stack: str | None) -> dict[str, Any]:
        return self._backend.reset(stack).to_json()

    def advance(self, seconds: float) -> dict[str, Any]:
        raise click.ClickException(
            "only a running emulator has a clock to move: pass --endpoint URL (started with --virtual-clock)"
        )


def _serving_url(data: str) -> str | None:
    """The URL of a running emulator serving ``data`` (it records itself there), if one answers."""
    import sqlite3

    from cmqinfra.admin_client import AdminClient, AdminError

    if not Path(data).is_file():
        return None
    try:
        conn = sqlite3.connect(f"{Path(data).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'serving_url'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    try:
        AdminClient(row[0], "", "", timeout=2).health()
    except AdminError:
        return None  # left behind by an emulator that was killed
    return str(row[0])


def _run(
    endpoint: str | None, data: str, secret_id: str, secret_key: str, operation: Operation
) -> dict[str, Any]:
    if not endpoint:
        # A running emulator on the state file is asked, not bypassed: its waiting long polls
        # wake, and nothing it holds in memory goes stale.
        endpoint = _serving_url(data)
        if endpoint is not None:
            click.echo(f"(through the emulator serving {_safe(data)} at {endpoint})", err=True)
    if endpoint:
        from cmqinfra.admin_client import AdminClient, AdminError

        try:
            return operation(AdminClient(endpoint, secret_id, secret_key))
        except AdminError as error:
            raise click.ClickException(f"{_safe(endpoint)}: {_safe(str(error))}") from None
    from cmqinfra.emulator.errors import ApiError

    local = _Local(data)
    try:
        return operation(local)
    except ApiError as error:
        raise click.ClickException(f"{_safe(data)}: {error.code}: {_safe(error.message)}") from None
    finally:
        local.close()


# ------------------------------------------------------------------------------------------ rendering


def _safe(text: str) -> str:
    """Untrusted text (queue names, bodies) for a terminal, through the one escaping layer."""
    from cmqinfra.render.escape import terminal

    return terminal(text)


def _when(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(text: str) -> str:
    shown = _safe(text)
    return shown if len(shown) <= BODY_SHOWN else shown[: BODY_SHOWN - 3] + "..."


def _emit(fmt: str, answer: dict[str, Any], lines: Callable[[dict[str, Any]], list[str]]) -> None:
    if fmt == "json":
        click.echo(json.dumps(answer, indent=2))  # ASCII: no character of a body reaches the terminal raw
    else:
        for line in lines(answer):
            click.echo(line)


def _message_lines(answer: dict[str, Any]) -> list[str]:
    found = answer["messages"]
    more = " (more not shown: raise --limit)" if answer.get("truncated") else ""
    head = f"queue {_safe(answer['queue'])}: {len(found)} message(s){more}"
    if not found:
        return [head]
    rows = [("MSG ID", "STATE", "DEQUEUED", "ENQUEUED", "VISIBLE AT", "TAGS", "BODY")]
    for m in found:
        tags = " ".join(
            part
            for part in (",".join(m["tags"]), f"key={m['routingKey']}" if m.get("routingKey") else "")
            if part
        )
        source = f" (dead letter of {m['deadLetterSource']})" if m.get("deadLetterSource") else ""
        rows.append(
            (
                m["msgId"],
                m["state"],
                str(m["dequeueCount"]),
                _when(m["enqueueTime"]),
                _when(m["visibleAt"]),
                _safe(tags) or "-",
                _short(m["body"]) + _safe(source),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [head] + [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]


# ------------------------------------------------------------------------------------------- commands


@click.command(name="messages")
@click.argument("queue")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@_target_options
def messages(
    queue: str, limit: int, endpoint: str | None, data: str, secret_id: str, secret_key: str, fmt: str
) -> None:
    """List QUEUE's messages (body, tags, state, dequeue count) without consuming them."""
    answer = _run(endpoint, data, secret_id, secret_key, lambda target: target.peek(queue, limit))
    _emit(fmt, answer, _message_lines)


@click.command(name="purge")
@click.argument("queue")
@_target_options
def purge(queue: str, endpoint: str | None, data: str, secret_id: str, secret_key: str, fmt: str) -> None:
    """Delete every message of QUEUE (active, in flight, delayed)."""
    answer = _run(endpoint, data, secret_id, secret_key, lambda target: target.purge(queue))
    _emit(fmt, answer, lambda a: [f"purged {a['purged']} message(s) from queue {_safe(a['queue'])}"])


def _redrive_lines(answer: dict[str, Any]) -> list[str]:
    moved = answer["moved"]
    where = ", ".join(f"{count} to {_safe(name)}" for name, count in moved.items())
    lines = [
        f"redrove {answer['movedTotal']} message(s) from {_safe(answer['deadLetterQueue'])}"
        + (f": {where}" if where else "")
    ]
    left = [
        (answer["inFlight"], "in flight (held by a consumer)"),
        (answer["noSource"], "with no known source queue"),
        (answer["sourceFull"], "whose source queue is full"),
    ]
    lines += [f"left {count} {why}" for count, why in left if count]
    return lines


@click.command(name="redrive")
@click.argument("dead_letter_queue", metavar="DLQ")
@_target_options
def redrive(
    dead_letter_queue: str, endpoint: str | None, data: str, secret_id: str, secret_key: str, fmt: str
) -> None:
    """Move the dead letters of DLQ back to the queues they came from, each exactly once."""
    answer = _run(endpoint, data, secret_id, secret_key, lambda target: target.redrive(dead_letter_queue))
    _emit(fmt, answer, _redrive_lines)


def _reset_lines(answer: dict[str, Any]) -> list[str]:
    what = f"stack {_safe(answer['stack'])}" if answer["stack"] is not None else "everything"
    lines = [f"reset {what}: deleted {len(answer['queues'])} queue(s), {len(answer['topics'])} topic(s)"]
    lines += [f"  queue {_safe(name)}" for name in answer["queues"]]
    lines += [f"  topic {_safe(name)}" for name in answer["topics"]]
    lines += [
        f"  queue {_safe(name)} (another stack's) lost its dead-letter binding"
        for name in answer["unboundDeadLetter"]
    ]
    return lines


@click.command(name="reset")
@click.option("--stack", default=None, help="Only the resources this stack owns (its cmqinfra-stack tag).")
@_target_options
def reset(
    stack: str | None, endpoint: str | None, data: str, secret_id: str, secret_key: str, fmt: str
) -> None:
    """Delete every queue, topic and message, or only one stack's resources."""
    if stack is not None and not stack:
        raise click.UsageError("--stack must name a stack (leave it out to reset everything)")
    answer = _run(endpoint, data, secret_id, secret_key, lambda target: target.reset(stack))
    _emit(fmt, answer, _reset_lines)


@click.command(name="advance")
@click.argument("seconds", type=click.FloatRange(0, 400 * 86400))
@_target_options
def advance(
    seconds: float, endpoint: str | None, data: str, secret_id: str, secret_key: str, fmt: str
) -> None:
    """Move the clock of an emulator started with --virtual-clock by SECONDS: delays, visibility,
    retention, dead-lettering by age, long polls and push retries follow; no test sleeps."""
    answer = _run(endpoint, data, secret_id, secret_key, lambda target: target.advance(seconds))
    _emit(fmt, answer, lambda a: [f"the emulator's clock is now {_when(a['now'])} ({a['now']:.3f})"])


COMMANDS: dict[str, click.Command] = {c.name or "": c for c in (messages, purge, redrive, reset, advance)}
