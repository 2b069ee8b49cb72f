"""Where a graph's parts come from: one stack's manifests, or a project's units resolved per
environment; with ``live``, each part's live state read through the same connections plan uses.
The shell around the pure topology: it loads and reads, the graph package draws."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cmqinfra.graph.build import Part
from cmqinfra.run import session
from cmqinfra.run.session import Failure, TargetOptions


def stack_parts(paths: Sequence[str], options: TargetOptions | None) -> list[Part]:
    """One part: the stack at ``paths``; with ``options``, its live state on that target."""
    stack = session.load(paths)
    if options is None:
        return [Part(stack.name, stack)]
    holder: list = []
    try:
        region = session.region_for(options, stack)
        holder.append(session.connect(options, region))
        live = holder[0].read(stack)
    finally:
        for api in holder:
            api.close()
    return [Part(stack.name, stack, live)]


def project_parts(root: str, stacks: Sequence[str], environments: Sequence[str],
                  options: TargetOptions | None) -> list[Part]:
    """One part per unit (stack x environment), grouped as ``stack[env]``."""
    import click

    from cmqinfra.project.resolve import resolve_unit
    from cmqinfra.project.units import ProjectError, load_project

    project = load_project(Path(root))
    for d in project.diagnostics:
        click.echo(d.render(), err=True)
    if not project.ok:
        raise Failure(f"{len(project.diagnostics)} error(s) in the project")
    try:
        units = project.units(list(stacks), list(environments))
    except ProjectError as exc:
        raise Failure(str(exc)) from None
    if not units:
        raise Failure("no stack in the project matches --stack / --env")
    resolved = [resolve_unit(project, u) for u in units]
    errors = 0
    for r in resolved:
        for d in r.diagnostics:
            click.echo(d.render(), err=True)
        errors += 0 if r.ok else 1
    if errors:
        raise Failure(f"{errors} stack(s) of the project have errors in their manifests")
    if options is None:
        return [Part(r.unit.key, r.stack) for r in resolved if r.stack is not None]
    return _read_units(resolved, options, Path(root))


def _read_units(resolved: Sequence, options: TargetOptions, workdir: Path) -> list[Part]:
    from cmqinfra.run.connections import Connections, target_of, unit_region

    connections = Connections(options, Path(options.workdir) if options.workdir else workdir)
    parts: list[Part] = []
    try:
        for r in resolved:
            region = unit_region(r.unit, r.stack.region, options).name
            api = connections.open(r.unit, target_of(r.unit, options, region))
            parts.append(Part(r.unit.key, r.stack, api.read(r.stack)))
    finally:
        connections.close()
    return parts
