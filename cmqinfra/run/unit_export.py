"""``export --stack S --env E`` in a project: what one unit owns on its environment's target and
region, written as the stack's manifests write it (names without the environment's affixes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from cmqinfra.project.units import StackUnit
from cmqinfra.run import session
from cmqinfra.run.unit_connections import open_connections
from cmqinfra.run.unit_selection import load_selection
from cmqinfra.selection import Selection


def _bare(name: str, unit: StackUnit) -> str:
    """A name without the environment's prefix and suffix (as the stack's manifests write it)."""
    if unit.name_prefix and name.startswith(unit.name_prefix):
        name = name[len(unit.name_prefix):]
    if unit.name_suffix and name.endswith(unit.name_suffix):
        name = name[: -len(unit.name_suffix)]
    return name


def as_written(unit: StackUnit, stack_name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An exported document as the project's stack writes it: its own stack name, no region
    (the environment gives it), every queue and topic name and every reference to one without
    the environment's name affixes (resolve puts them back)."""

    def shape(doc: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"stack": stack_name}
        queues = doc.get("queues") or {}
        if queues:
            out["queues"] = {}
            for name, attrs in queues.items():
                attrs = dict(attrs)
                dead = attrs.get("deadLetter")
                if isinstance(dead, dict):
                    attrs["deadLetter"] = {**dead, "queue": _bare(dead["queue"], unit)}
                out["queues"][_bare(name, unit)] = attrs
        topics = doc.get("topics") or {}
        if topics:
            out["topics"] = {}
            for name, attrs in topics.items():
                attrs = dict(attrs)
                subs = attrs.get("subscriptions")
                if isinstance(subs, dict):
                    attrs["subscriptions"] = {
                        s: ({**a, "endpoint": _bare(a["endpoint"], unit)}
                            if a.get("protocol", "queue") == "queue" and "endpoint" in a else a)
                        for s, a in subs.items()
                    }
                out["topics"][_bare(name, unit)] = attrs
        return out

    return shape


def export_unit(selection: Selection, options: session.TargetOptions, include_unowned: bool,
                output: str | None, force: bool) -> None:
    """``export --stack S --env E`` in a project: what the unit owns on its environment's target
    and region, written as the stack's manifests write it (``-o`` a file or the stack's directory)."""
    from cmqinfra.export.run import export_text, output_path
    from cmqinfra.project.resolve import resolve_unit
    from cmqinfra.run.connections import target_of, unit_region

    project, units = load_selection(selection)
    if len(units) != 1:
        raise session.Failure(f"{len(units)} stacks are selected ({', '.join(u.key for u in units)}): "
                              "name one with --stack and --env")
    unit = units[0]
    resolved = resolve_unit(project, unit)
    affixed = f"{unit.name_prefix}{unit.stack_name}{unit.name_suffix}"
    owner = resolved.stack.name if resolved.stack else affixed
    written = _bare(owner, unit)
    destination = output_path(output, unit.stack_name) if output else None
    if destination is not None and destination.exists() and not force:
        raise session.Failure(f"{destination} already exists; nothing was written "
                              "(pass --force to overwrite it)")
    region = unit_region(unit, resolved.stack.region if resolved.stack else None, options).name
    with open_connections(options, selection.root) as connections:
        api = connections.open(unit, target_of(unit, options, region))
        text, skipped = export_text(api, owner, include_unowned, region, destination,
                                    as_written(unit, written))
    if skipped:
        click.echo(f"note: {skipped} queue(s)/topic(s) owned by other stacks were not exported", err=True)
    if destination is None:
        click.echo(text, nl=False)
    else:
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {destination} ({unit.key}, as the stack's manifests write it)", err=True)
