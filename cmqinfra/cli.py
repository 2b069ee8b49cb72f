"""The command line: arguments, exit codes and wiring only; every decision lives elsewhere.

Each command is a module under ``cmqinfra.commands`` exposing ``command`` (a click command).
They are imported lazily so that ``cmqinfra validate`` never pays for the SDK import.

Exit codes follow Terraform: 0 success, 1 any error (usage errors included), 2 success with
changes (only where a command documents it, e.g. ``plan --detailed-exitcode``).
"""

from __future__ import annotations

import importlib
import sys

import click

from cmqinfra import __version__

# command name -> module under cmqinfra.commands
COMMANDS: dict[str, str] = {
    "validate": "validate",
    "schema": "schema",
    "plan": "plan",
    "apply": "apply",
    "destroy": "destroy",
    "export": "export",
    "show": "show",
    "import-terraform": "import_terraform",
    "route": "route",
    "resolve": "resolve",
    "emulator": "emulator",
    "test": "test",
    "completion": "completion",
    "cam-policy": "cam_policy",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        module_name = COMMANDS.get(name)
        if module_name is None:
            return None
        qualified = f"cmqinfra.commands.{module_name}"
        try:
            module = importlib.import_module(qualified)
        except ModuleNotFoundError as exc:
            if exc.name == qualified:
                return None
            raise
        return module.command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="cmqinfra", message="%(prog)s %(version)s")
def cli() -> None:
    """Infrastructure as code for Tencent Cloud TDMQ for CMQ: queues, topics, subscriptions."""


def main(argv: list[str] | None = None) -> None:
    """Console entry point. Maps click's own exit code 2 (usage error) to 1."""
    try:
        code = cli.main(args=argv, prog_name="cmqinfra", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = 1
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = 1
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        code = 1
    sys.exit(code if isinstance(code, int) else 0)
