"""The flags of project mode (no PATH): ``--project``, ``--stack``, ``--env``, ``--changed-since``
and ``--target STACK[ENV]:ADDRESS``. Wiring only: the session over a project's units is
cmqinfra/run/unit_*.py."""

from __future__ import annotations

from collections.abc import Sequence

import click

from cmqinfra.commands.selection import Selection, project_options

__all__ = ["Selection", "check_targets", "project_options", "stack_targets"]


def check_targets(_ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Every --target is an address of one stack (queue/NAME ...) or of a project's unit
    (STACK[ENV]:queue/NAME); a bad one is a usage error naming it. Which form fits is decided
    once it is known whether manifest PATHs were given."""
    if not value:
        return ()  # click calls this without --target too: nothing to import then
    from cmqinfra.plan.targets import parse_target
    from cmqinfra.project.targets import is_project_target, parse_project_target

    try:
        return tuple(dict.fromkeys(
            str(parse_project_target(v)) if is_project_target(v) else parse_target(v) for v in value
        ))
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def stack_targets(targets: Sequence[str]) -> tuple[str, ...]:
    """The targets of a single stack's run (manifest PATHs given): plain addresses only."""
    if not targets:
        return ()
    from cmqinfra.project.targets import is_project_target

    named = [t for t in targets if is_project_target(t)]
    if named:
        raise click.UsageError(f"--target {named[0]} names a project's stack: with manifest PATH... give "
                               "the stack's own address (queue/NAME, topic/NAME, subscription/TOPIC/NAME)")
    return tuple(targets)


def refuse_with_paths(selection: Selection) -> None:
    """Project flags select units of a project: they make no sense beside manifest PATHs."""
    from cmqinfra.run.unit_paths import refuse_project_flags

    refuse_project_flags(selection)
