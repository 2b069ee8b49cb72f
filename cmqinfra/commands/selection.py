"""The project-mode options every stack command shares (--project, --stack, --env,
--changed-since), the Selection they make and the checks of --target and of PATHs given with
them: kept apart from commands/projectmode.py so that a command given manifest PATHs loads none
of the project machinery."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class Selection:
    root: str
    stacks: tuple[str, ...]
    environments: tuple[str, ...]
    changed_since: str | None

    @property
    def given(self) -> bool:
        return bool(self.stacks or self.environments or self.changed_since or self.root != ".")


def project_options(f: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--project", "root", default=".", metavar="DIR", show_default=True,
                  help="Project mode (no PATH): the project root holding cmqinfra.yaml or stack directories.")
    @click.option("--stack", "stacks", multiple=True, metavar="NAME", help="Project mode: only this stack.")
    @click.option("--env", "environments", multiple=True, metavar="NAME",
                  help="Project mode: only this environment.")
    @click.option("--changed-since", metavar="GIT_REF",
                  help="Project mode: only the stacks a change since GIT_REF affects.")
    @functools.wraps(f)
    def wrapper(*args: Any, root: str, stacks: tuple[str, ...], environments: tuple[str, ...],
                changed_since: str | None, **kw: Any) -> Any:
        return f(*args, selection=Selection(root, stacks, environments, changed_since), **kw)

    return wrapper


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
    if selection.given:
        from cmqinfra.run.failure import Failure

        raise Failure("--project, --stack, --env and --changed-since select stacks of a project; "
                      "they cannot be combined with manifest PATH arguments")
