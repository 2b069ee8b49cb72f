"""``cmqinfra import-terraform``: manifests from Terraform's tencentcloud_tcmq_* configuration and state."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from cmqinfra.run import session


def _variables(pairs: tuple[str, ...]) -> dict[str, object]:
    from cmqinfra.migrate.resolve import plain_variable

    out: dict[str, object] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise session.Failure(f"--var {pair!r}: expected NAME=VALUE")
        out[name] = plain_variable(value)
    return out


def _check_output(text: str, destination: Path | None) -> None:
    """The written manifest must load: checked on a scratch copy, so a refusal writes nothing."""
    from cmqinfra.manifest import load_stack

    name = destination.name if destination else "imported.yaml"
    with tempfile.TemporaryDirectory() as scratch:
        probe = Path(scratch) / name
        probe.write_text(text, encoding="utf-8")
        result = load_stack([probe])
    errors = [d for d in result.diagnostics if d.severity.value == "error"]
    for d in errors:
        click.echo(d.render().replace(str(probe), f"{destination or name} (not written)"), err=True)
    if errors:
        raise session.Failure(f"the translated manifest has {len(errors)} error(s); nothing was written")


@click.command("import-terraform")
@click.argument("paths", nargs=-1, required=True, type=click.Path(), metavar="PATH...")
@click.option(
    "--stack",
    "stack",
    default="imported",
    show_default=True,
    metavar="S",
    help="The stack name the manifest declares.",
)
@click.option(
    "--region", "region", metavar="R", help="The region (default: the tencentcloud provider block's)."
)
@click.option(
    "--var",
    "variables",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Terraform input variable, as terraform -var (repeatable).",
)
@click.option(
    "--provider",
    "provider",
    metavar="tencentcloud[.ALIAS]",
    help="Translate only the resources of this provider configuration, in its region (one manifest "
    "per region). Without it, a resource of an aliased provider is an error.",
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(),
    metavar="DIR_OR_FILE",
    help="A .yaml/.yml file, or a directory (gets <stack>.yaml). Default: standard output.",
)
def command(
    paths: tuple[str, ...],
    stack: str,
    region: str | None,
    variables: tuple[str, ...],
    provider: str | None,
    output: str | None,
) -> None:
    """Write a manifest equivalent to Terraform's tencentcloud_tcmq_* resources.

    PATH is a Terraform root module directory (*.tf, terraform.tfvars, *.auto.tfvars,
    terraform.tfstate, local ./modules) or such files. Variables follow Terraform's precedence:
    --var, then *.auto.tfvars, terraform.tfvars, TF_VAR_NAME, the default. What cannot be
    translated is reported at its file:line; on any error nothing is written. Plan the result:
    it adopts what Terraform created.
    """
    from cmqinfra.export.document import Selection, build_document, render_yaml
    from cmqinfra.export.run import defaults, output_path, schema_ref
    from cmqinfra.live import LiveQueue, LiveSubscription, LiveTopic
    from cmqinfra.migrate.sources import environment_variables, read_sources
    from cmqinfra.migrate.terraform import translate

    with session.user_errors(False, []):
        sources, problems = read_sources(
            paths, _variables(variables), environment_variables(os.environ), provider
        )
        for d in problems:
            click.echo(d.render(), err=True)
        if any(d.severity.value == "error" for d in problems):
            raise session.Failure("cannot read the Terraform files; nothing was written")
        result = translate(sources)
        for d in result.diagnostics:
            click.echo(d.render(), err=True)
        if result.errors:
            raise session.Failure(f"{len(result.errors)} error(s) in the translation; nothing was written")
        if not (result.queues or result.topics):
            raise session.Failure("no tencentcloud_tcmq_queue or tencentcloud_tcmq_topic resources found")
        selection = Selection(
            stack=stack,
            region=region or result.region,
            queues=tuple(LiveQueue(q, "", None, q.protect) for q in result.queues),
            topics=tuple(LiveTopic(t, "", None, t.protect) for t in result.topics),
            subscriptions=tuple(LiveSubscription(s, "") for s in result.subscriptions),
            skipped_foreign=0,
        )
        destination = output_path(output, stack) if output else None
        note = f"Written by `cmqinfra import-terraform` from {', '.join(paths)}; provider defaults are kept."
        text = render_yaml(build_document(selection, defaults()), schema_ref(destination), note)
        _check_output(text, destination)
        if destination is None:
            click.echo(text, nl=False)
        else:
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise session.Failure(f"cannot write {destination}: {exc.strerror or exc}") from None
        counts = (
            f"{len(result.queues)} queue(s), {len(result.topics)} topic(s), "
            f"{len(result.subscriptions)} subscription(s)"
        )
        where = destination or "standard output"
        click.echo(
            f"Translated {counts} to {where}. Next: cmqinfra plan {destination or 'FILE'} "
            "(they show as adopted).",
            err=True,
        )
