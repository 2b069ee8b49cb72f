"""cmqinfra cam-policy [plan|apply]: the least-privilege CAM policy a key needs for a command.

Derived from cmqinfra/cloud/calls.py, the table every API call goes through, so it is always
exactly what this version of cmqinfra calls. Offline.
"""

from __future__ import annotations

import json

import click


@click.command("cam-policy")
@click.argument("which", type=click.Choice(["plan", "apply"]), default="plan")
@click.option("--region", default="", help="Scope the write statements to one region (default: all).")
@click.option("--account", default="*", metavar="UIN", help="Scope the write statements to one account.")
@click.option("--explain", is_flag=True, help="List each action and why cmqinfra calls it, not the JSON.")
def command(which: str, region: str, account: str, explain: bool) -> None:
    """Print the CAM policy (JSON) a key needs for `plan` (read only) or `apply` (plan's reads and
    the writes). Attach the plan policy to the pull-request key, the apply policy to the merge key.
    `destroy` needs the apply policy."""
    from cmqinfra.cloud.calls import CALLS, policy_document

    if explain:
        for call in CALLS:
            if which in call.commands:
                scope = f"{call.resource}/..." if call.resource else "*"
                click.echo(f"{call.cam_action:<40} {scope:<16} {call.why}")
        return
    click.echo(json.dumps(policy_document(which, region, account), indent=2))  # type: ignore[arg-type]
