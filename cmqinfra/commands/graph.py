"""``cmqinfra graph``: the message topology of a stack, a unit or a whole project, drawn as
Mermaid, DOT or a self-contained SVG; from the manifests alone, or with live state (``--live``)."""

from __future__ import annotations

from pathlib import Path

import click

from cmqinfra.run import session


@click.command("graph")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--stack", "stacks", multiple=True, metavar="NAME",
              help="Project mode: only this stack (repeatable).")
@click.option("--env", "environments", multiple=True, metavar="NAME",
              help="Project mode: only this environment (repeatable).")
@click.option("--project", "root", default=".", metavar="DIR", show_default=True, help="The project root.")
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot", "svg"]), default="mermaid",
              show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write the drawing to FILE instead of standard output.")
@click.option("--max-fanout", type=click.IntRange(min=2), default=12, show_default=True,
              help="Collapse the subscriptions of a topic (and the sources of a dead letter) past this many.")
@click.option("--live", is_flag=True,
              help="Add live state: message counts, resources not created or not declared.")
@click.option("--local", is_flag=True, help="With --live: the embedded local emulator (.cmqinfra/).")
@click.option("--endpoint", default=None, metavar="URL", help="With --live: a running emulator or endpoint.")
@click.option("--region", default=None, help="With --live: the region, when the manifest names none.")
@click.option("--debug", is_flag=True, hidden=True)
def command(paths: tuple[str, ...], stacks: tuple[str, ...], environments: tuple[str, ...], root: str,
            fmt: str, out: str | None, max_fanout: int, live: bool, local: bool, endpoint: str | None,
            region: str | None, debug: bool) -> None:
    """Draw the topology: topics -> subscriptions (filter on the edge) -> queues and http
    endpoints, queues -> dead letters (policy on the edge), grouped by stack.

    With PATH: that stack. Without: every stack x environment of the project (--stack, --env).
    """
    from cmqinfra.graph.build import topology
    from cmqinfra.graph.collapse import collapse
    from cmqinfra.graph.sources import project_parts, stack_parts
    from cmqinfra.render.graph_escape import clip

    with session.user_errors(debug, []):
        if (local or endpoint or region) and not live:
            raise session.Failure("--local, --endpoint and --region only mean something with --live")
        if paths and (stacks or environments):
            raise session.Failure("--stack and --env select units of a project: give no PATH with them")
        options = (session.TargetOptions(local=local, endpoint=endpoint, region=region, debug=debug)
                   if live else None)
        parts = stack_parts(paths, options) if paths else project_parts(root, stacks, environments, options)
        graph = collapse(topology(parts), max_fanout)
        text = render(graph, fmt)
        if out is not None:
            Path(out).write_text(text, encoding="utf-8")
            click.echo(f"wrote {out} ({len(graph.nodes)} nodes, {len(graph.edges)} edges)", err=True)
        else:
            click.echo(text, nl=False)
        for note in graph.notes:  # names in a note reach a terminal: no control characters
            click.echo(f"note: {clip(note, 400)}", err=True)


def render(graph: object, fmt: str) -> str:
    from cmqinfra.graph.dot import to_dot
    from cmqinfra.graph.mermaid import to_mermaid
    from cmqinfra.graph.svg import to_svg

    drawers = {"mermaid": to_mermaid, "dot": to_dot, "svg": to_svg}
    return drawers[fmt](graph)  # type: ignore[arg-type]
