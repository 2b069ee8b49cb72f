"""Options that more than one command takes, spelt once so their choices and help cannot drift."""

from __future__ import annotations

import click

delivery_option = click.option(
    "--delivery",
    type=click.Choice(["strict", "realistic"]),
    default="strict",
    show_default=True,
    help="realistic: reorder, sometimes redeliver, and answer false empties to wait-0 receives.",
)

resource_types_option = click.option(
    "--resource-types",
    "resource_types",
    type=click.Choice(["cmqinfra", "terraform"]),
    default="cmqinfra",
    show_default=True,
    help="With --format json: terraform names resource types and arguments as the Terraform provider does "
    "(tencentcloud_tcmq_queue, ...), so OPA/conftest policies written for it apply.",
)
