"""--changed-since: the units a change since a commit affects, and what a stack removed from
cmqinfra.yaml since then means (renamed, or no longer managed), said on stderr and in the comment."""

from __future__ import annotations

import re
from collections.abc import Sequence

import click

from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.project.units import Project
from cmqinfra.render import escape


def _code(text: str) -> str:
    """A name from the repository as inline code in the comment (the one escaping layer)."""
    return escape.code(text)


def _renamed_to(resolved: Sequence[ResolvedUnit], name: str) -> str | None:
    """The stack (by its project name) that declares ``renamedFrom`` the removed stack ``name``."""
    for r in resolved:
        s = r.stack
        if s is None or s.renamed_from is None:
            continue
        bare = s.renamed_from.removeprefix(r.unit.name_prefix)
        bare = bare.removesuffix(r.unit.name_suffix) if r.unit.name_suffix else bare
        if name in (bare, s.renamed_from):
            return r.unit.stack_name
    return None


def select_changed(project: Project, resolved: list[ResolvedUnit], ref: str | None,
                    notes: list[str] | None = None) -> list[ResolvedUnit]:
    """The units a change since ``ref`` affects. A stack removed from cmqinfra.yaml since then is
    said, on stderr and (``notes``, markdown) in the comment: renamed (another stack takes what it
    owned with renamedFrom), or no longer managed, with what to do about it."""
    if ref is None:
        return resolved
    from cmqinfra.project.changes import affected, read_change, removed_stacks

    change = read_change(project.root, ref)
    for old_name in removed_stacks(project, change):
        heir = _renamed_to(resolved, old_name)
        # the name comes from the base's cmqinfra.yaml, never validated: shown in plain characters only
        name = re.sub(r"[^A-Za-z0-9._-]", "?", old_name)[:64]
        if heir is not None:
            click.echo(f"note: stack {name!r} was removed from cmqinfra.yaml since {ref}: stack {heir!r} "
                       "takes what it owned (renamedFrom); its plan shows them", err=True)
            if notes is not None:
                notes.append(f"Stack {_code(name)} was renamed to {_code(heir)} (`renamedFrom`): "
                             f"{_code(heir)}'s plan takes what it owned.")
            continue
        todo = (f"To delete it, put the stack back and run `cmqinfra destroy --stack {name}` first; to keep "
                f"it under another stack, give that stack `renamedFrom: {name}` (or `moved` entries)")
        click.echo(f"warning: stack {name!r} was removed from cmqinfra.yaml since {ref}: what it owns is no "
                   f"longer managed and is left as it is. {todo}", err=True)
        if notes is not None:
            notes.append(f"> [!WARNING]\n> Stack {_code(name)} was removed from `cmqinfra.yaml`: what it "
                         f"owns is no longer managed and is left as it is. {todo}.")
    chosen = affected(project, resolved, change)
    click.echo(f"{len(chosen)} of {len(resolved)} stack(s) affected by the changes since {ref}"
               + (f": {', '.join(r.unit.key for r in chosen)}" if chosen else ""), err=True)
    return chosen
