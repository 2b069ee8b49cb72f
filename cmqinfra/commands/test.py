"""``cmqinfra test [PATH...]``: run the message-flow tests beside the manifests."""

from __future__ import annotations

from pathlib import Path

import click

from cmqinfra.commands.projectmode import Selection, project_options
from cmqinfra.commands.shared_options import delivery_option


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--junit-xml", "junit_xml", type=click.Path(dir_okay=False), help="Also write a JUnit XML report."
)
@click.option("--filter", "name_filter", metavar="TEXT", help="Run only the tests whose name contains TEXT.")
@delivery_option
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed for realistic delivery (default: random, printed).",
)
@project_options
def command(paths: tuple[str, ...], junit_xml: str | None, name_filter: str | None, delivery: str,
            seed: int | None, selection: Selection) -> None:
    """Run the *.cmqtest.yaml tests at PATH... (files, manifests or directories; default: .)
    against a fresh in-process emulator per test, on a virtual clock. Exit 1 on any failure.

    In a project (cmqinfra.yaml, or --stack / --env / --changed-since) and with no PATH, each
    selected stack's tests run in each of its environments, against the stack as that
    environment sees it (its variables; names as written)."""
    import random

    from cmqinfra.commands import projectmode
    from cmqinfra.emulator.delivery import DeliveryMode
    from cmqinfra.flowtest.report import junit_xml as to_junit
    from cmqinfra.flowtest.report import render_text
    from cmqinfra.flowtest.suite import run_suite
    from cmqinfra.project.config import PROJECT_FILE
    from cmqinfra.run import session, unit_offline

    if delivery == "realistic" and seed is None:
        seed = random.SystemRandom().randrange(1, 2**31)
    if delivery == "realistic":
        click.echo(f"delivery realistic, --seed {seed} (the same seed replays the same draws)", err=True)
    mode = DeliveryMode(delivery, seed)
    project_mode = not paths and (selection.given or (Path(selection.root) / PROJECT_FILE).is_file())
    with session.user_errors(False, []):
        if paths:
            projectmode.refuse_with_paths(selection)
            session.refuse_project_member(paths)
        if project_mode:
            suite = unit_offline.flow_tests(selection, name_filter, mode)
        else:
            suite = run_suite(list(paths) or ["."], name_filter, mode)
    for diagnostic in suite.diagnostics:
        click.echo(diagnostic.render(), err=True)
    for problem in suite.problems:
        click.echo(f"error: {problem}", err=True)
    if suite.results:
        click.echo(render_text(suite.results), nl=False)
    elif not suite.problems:
        if name_filter is not None:
            click.echo(f"error: --filter {name_filter!r} matches no test name", err=True)
        else:
            click.echo("error: no tests to run", err=True)
    if junit_xml is not None:
        try:
            Path(junit_xml).write_bytes(to_junit(suite.results))
        except OSError as exc:
            click.echo(f"error: cannot write {junit_xml}: {exc.strerror or exc}", err=True)
            raise click.exceptions.Exit(1) from None
    if not suite.ok:
        raise click.exceptions.Exit(1)
