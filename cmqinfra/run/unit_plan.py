"""plan over a run's units: read and plan them together, render one view, save one plan file
(cmqinfra/run/saved.py) and one exit code (0, 2 for changes anywhere with ``--detailed-exitcode``,
1 for any failure)."""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from cmqinfra.run import session
from cmqinfra.run.unit_changes import _code
from cmqinfra.run.unit_connections import caller_accounts, open_connections, orphans
from cmqinfra.run.unit_paths import anchor, refuse_project_flags, unit_error
from cmqinfra.run.unit_paths import save as unit_save
from cmqinfra.run.unit_pick import pick_units
from cmqinfra.run.unit_selection import (
    whole_project,
)
from cmqinfra.run.unit_view import refusal, show_all
from cmqinfra.selection import Selection


def drift_marked(items: Sequence[Any], selection: Selection, baseline: str | None,
                 paths: Sequence[str] = ()) -> list[Any]:
    """Each unit's changes that set back edits made outside cmqinfra, marked (see plan/drift.py)."""
    ref = baseline or selection.changed_since
    if ref is None:
        return list(items)
    from cmqinfra.plan.drift import mark_drift
    from cmqinfra.project.baseline import baseline_commit, paths_baseline, project_baseline

    if paths:  # a PATH's unit: its manifests at that commit
        commit = baseline_commit(anchor(paths), ref, merge_base=False)
        stacks = {i.unit.key: paths_baseline(paths, commit) for i in items}
    else:
        root = Path(selection.root)
        commit = baseline_commit(root, ref, merge_base=baseline is None)
        stacks = project_baseline(root, commit, [i.unit.key for i in items if i.plan is not None])
    return [i if i.plan is None else dataclasses.replace(i, plan=mark_drift(i.plan, stacks.get(i.unit.key)))
            for i in items]


def plan(selection: Selection, options: session.TargetOptions, out: str | None, fmt: str,
         detailed_exitcode: bool, destroy: bool, allow_data_loss: bool = False,
         targets: Sequence[str] = (), resource_types: str = "cmqinfra", baseline: str | None = None,
         full_plan: str | None = None, paths: Sequence[str] = ()) -> None:
    """Plan the run's units: the project's selected ones, or the one unit of ``paths``."""
    from cmqinfra.run.runner import plan_project

    exit_code = 0
    single = bool(paths)
    # Errors before any plan is shown are rendered in --format too: a comment is never empty.
    holder: list[Any] = []  # a PATH's connections: their calls reported after any error line
    with session.user_errors(options.debug and single, holder, fmt, command="plan"):
        if single:
            refuse_project_flags(selection)
        if out:
            session.check_writable(out)
        notes: list[str] = []
        warnings: list[str] = []
        root = str(anchor(paths)) if single else selection.root
        with open_connections(options, options.workdir or "." if single else selection.root,
                              single, holder=holder if single else None) as connections:
            picked = pick_units(selection, paths, targets, options, connections, notes)
            items, apis = plan_project(picked.resolved, options, connections, destroy=destroy,
                                       allow_data_loss=allow_data_loss, bystanders=picked.bystanders,
                                       early=picked.early, unit_targets=picked.by_unit, claims=picked.claims)
            if single:
                unit_error(items)
            items = drift_marked(items, selection, baseline, paths)
            accounts = caller_accounts(items, apis) if out and not single and all(i.ok for i in items) else {}
            if not single and whole_project(selection, picked.by_unit):
                warnings = orphans(items, apis, connections, picked.others)
            if out and single and items[0].ok:
                where = unit_save(items[0], apis[items[0].unit.key], options, out)
        heading = ([f"Stacks affected by the changes since {_code(selection.changed_since)}."]
                   if selection.changed_since else [])
        # in markdown the orphans stand in CAUTION (render_project_markdown), elsewhere in the note
        shown = [] if fmt == "markdown" else [f"> [!WARNING]\n> {w}" for w in warnings]
        note = "\n\n".join(heading + notes + shown) or None
        show_all(items, fmt, note, warnings=warnings, root=root, full_plan=full_plan,
                 resource_types=resource_types, single=single)
        why = refusal(items, single, "nothing can be applied")
        if why is not None:
            raise session.Refused(why)
        if out and single:
            session.announce_digest(out, fmt)
            click.echo(f"Saved the plan to {out} ({where}). To apply exactly this plan there, run:\n"
                       f"  cmqinfra apply --plan {shlex.quote(out)}", err=True)
        elif out:
            from cmqinfra.run.planfile import save_project_plan

            save_project_plan(items, out, accounts)
            session.announce_digest(out, fmt)
            click.echo(f"Saved the plan of {len(items)} stack(s) to {out}; run `cmqinfra apply --plan {out}` "
                       "to apply it.", err=True)
        if detailed_exitcode and any(i.plan is not None and i.plan.has_changes for i in items):
            exit_code = 2
    if exit_code:
        raise click.exceptions.Exit(exit_code)
