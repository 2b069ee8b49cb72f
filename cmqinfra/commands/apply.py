"""cmqinfra apply: make live state match the manifests (or run a saved plan)."""

from __future__ import annotations

import click

from cmqinfra.commands import projectmode
from cmqinfra.commands.projectmode import project_options
from cmqinfra.run import session
from cmqinfra.run.options import target_options
from cmqinfra.run.saved import PlanFile


@click.command("apply")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--plan", "plan_file", type=click.Path(dir_okay=False), help="Apply a plan saved by `plan --out`."
)
@target_options
@project_options
@click.option("--auto-approve", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--allow-data-loss", is_flag=True, help="Allow deleting or replacing queues that hold messages."
)
@click.option("--verbose", is_flag=True, help="Show the whole plan before approval, however long.")
@click.option("--expect-digest", "expect_digest", metavar="sha256:HEX",
              help="With --plan: refuse the plan unless its digest is this one (the digest `plan --out` "
                   "printed in the reviewed comment).")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="ADDRESS",
    callback=projectmode.check_targets,
    help="Plan only this resource (queue/NAME, topic/NAME, subscription/TOPIC/NAME) and what it needs; "
    "in project mode STACK[ENV]:ADDRESS. Repeatable. The plan is partial.",
)
def command(
    paths: tuple[str, ...],
    plan_file: str | None,
    options: session.TargetOptions,
    auto_approve: bool,
    allow_data_loss: bool,
    verbose: bool,
    targets: tuple[str, ...],
    selection: projectmode.Selection,
    expect_digest: str | None,
) -> None:
    """Apply the manifests at PATH... (or the saved plan FILE) to live state.

    With no PATH, apply every stack of the project in the current directory (see --project)."""
    from cmqinfra.run import unit_apply
    from cmqinfra.run.saved import read_plan_file

    saved: PlanFile | None = None
    if plan_file and not paths:
        with session.user_errors(options.debug, []):
            refuse_data_loss_flag(allow_data_loss)
            # the one reader (sealed bytes checked: cmqinfra/run/seal.py): a stack's plan file or a project's
            saved = read_plan_file(plan_file, expect_digest)
    single = bool(paths) or (saved is not None and not saved.project)
    unit_apply.apply(selection, options, plan_file, auto_approve, allow_data_loss,
                     projectmode.stack_targets(targets) if single else targets, saved, verbose,
                     expect_digest=expect_digest, paths=paths)


def refuse_data_loss_flag(allow_data_loss: bool) -> None:
    """A saved plan (a stack's or a project's) carries its own approvals: the flag adds none."""
    if allow_data_loss:
        raise session.Failure(
            "--allow-data-loss does not apply to a saved plan: it carries its own approval "
            "(plan --allow-data-loss --out FILE); nothing was changed"
        )
