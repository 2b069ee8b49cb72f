"""The project-mode options every stack command shares (--project, --stack, --env,
--changed-since) and the Selection they make: kept apart from commands/projectmode.py so that a
command given manifest PATHs loads none of the project machinery."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from cmqinfra.selection import Selection

__all__ = ["Selection", "project_options"]


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
