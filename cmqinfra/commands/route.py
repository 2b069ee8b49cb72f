"""``cmqinfra route PATH TOPIC`` / ``cmqinfra route --stack S --env E TOPIC``: who receives a
message, from the manifest alone (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cmqinfra.commands.projectmode import Selection, project_options
from cmqinfra.routing_report import Message, RouteError, render_text, route, to_json
from cmqinfra.run import session, unit_offline


@click.command(name="route")
@click.argument("args", nargs=-1, required=True, metavar="[PATH] TOPIC")
@click.option(
    "--routing-key", "routing_key", default=None, help="The message's routing key (routingKey topics)."
)
@click.option("--tag", "tags", multiple=True, help="A message tag (tag topics); repeat for several.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@project_options
def command(args: tuple[str, ...], routing_key: str | None, tags: tuple[str, ...], fmt: str,
            selection: Selection) -> None:
    """Show which subscriptions of TOPIC receive a message, and why the others do not.

    Offline: reads only the manifest at PATH, never the cloud. In a project, name the stack and
    environment instead of a PATH (--stack S --env E TOPIC): the stack as that environment sees it
    (its variables; TOPIC as written or with the environment's name affixes).
    """
    from cmqinfra.manifest import load_stack

    project_mode = bool(selection.stacks or selection.environments or selection.changed_since)
    with session.user_errors(False, []):
        if project_mode:
            if len(args) != 1:
                raise session.Failure("with --stack/--env give only TOPIC (no PATH)")
            resolved, unit = unit_offline.one_unit(selection)
            stack = resolved.stack
            topic = unit_offline.unit_topic(unit, stack, args[0])
        else:
            if len(args) != 2:
                raise session.Failure("give PATH and TOPIC (or, in a project, --stack S --env E TOPIC)")
            path, topic = args
            if not Path(path).exists():
                raise session.Failure(f"{path}: no such file or directory")
            session.refuse_project_member([path])
            result = load_stack([Path(path)])
            for diagnostic in result.diagnostics:
                click.echo(diagnostic.render(), err=True)
            errors = [d for d in result.diagnostics if d.severity.value == "error"]
            if errors or result.stack is None:
                raise session.ManifestErrors(f"{len(errors)} error(s) in the manifest", errors)
            stack = result.stack
        assert stack is not None
        try:
            report = route(stack, topic, Message(routing_key=routing_key, tags=tuple(tags)))
        except RouteError as exc:
            raise session.Failure(str(exc)) from None
    if fmt == "json":
        click.echo(json.dumps(to_json(report), indent=2))
    else:
        click.echo(render_text(report))
