"""The command line: arguments, exit codes and wiring only; every decision lives elsewhere.

Each command is a module under ``cmqinfra.commands`` exposing ``command`` (a click command).
They are imported lazily so that ``cmqinfra validate`` never pays for the SDK import.

Exit codes follow Terraform: 0 success, 1 any error (usage errors included), 2 success with
changes (only where a command documents it, e.g. ``plan --detailed-exitcode``).
"""

from __future__ import annotations

import importlib
import importlib.util
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
    "graph": "graph",
    "resolve": "resolve",
    "emulator": "emulator",
    "test": "test",
    "completion": "completion",
    "cam-policy": "cam_policy",
}


# command name -> the first paragraph of its help: what `cmqinfra --help` lists, without importing
# every command (and the SDK, the emulator, the HCL parser) to read it. A command missing here is
# loaded to ask; tests/test_startup.py keeps each line equal to the command's own help.
SUMMARIES: dict[str, str] = {
    "validate": "Check manifest files or directories against the schema and the semantic rules.",
    "schema": "Print the manifest JSON Schema (point your editor at it for completion and checks).",
    "plan": "Compare the manifests at PATH... with live state and show the changes apply would make.",
    "apply": "Apply the manifests at PATH... (or the saved plan FILE) to live state.",
    "destroy": "Delete every queue, topic and subscription the stack at PATH... owns.",
    "export": "Write a manifest from live state, in the format users write by hand.",
    "show": "Show the saved plan PLAN_FILE (from `plan --out`) as text, JSON or a pull-request comment.",
    "import-terraform": "Write a manifest equivalent to Terraform's tencentcloud_tcmq_* resources.",
    "route": "Show which subscriptions of TOPIC receive a message, and why the others do not.",
    "resolve": "Print STACK's manifests resolved for one environment: variables interpolated, names "
    "affixed, the environment's region in place; what plan and apply will use, for review.",
    "emulator": "Run a local TDMQ for CMQ endpoint (and the Tag service calls cmqinfra needs).",
    "test": "Run the *.cmqtest.yaml tests at PATH... (files, manifests or directories; default: .) "
    "against a fresh in-process emulator per test, on a virtual clock. Exit 1 on any failure.",
    "completion": "Print the completion script for SHELL (bash, zsh or fish).",
    "cam-policy": "Print the CAM policy (JSON) a key needs for `plan` (read only) or `apply` (plan's reads "
    "and the writes). Attach the plan policy to the pull-request key, the apply policy to the merge key. "
    "`destroy` needs the apply policy.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._exists(name))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``--help`` from SUMMARIES: the same rows click would write, without
        loading the commands."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            summary = SUMMARIES.get(name)
            if summary is not None:
                rows.append((name, click.Command(name, help=summary).get_short_help_str(limit)))
                continue
            command = self._load(name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    @staticmethod
    def _exists(name: str) -> bool:
        try:
            return importlib.util.find_spec(f"cmqinfra.commands.{COMMANDS[name]}") is not None
        except ModuleNotFoundError:
            return False

    def invoke(self, ctx: click.Context) -> object:
        # Every command's output passes the terminal net: no raw control sequence reaches it.
        from cmqinfra.render.streams import escaping_output

        with escaping_output():
            return super().invoke(ctx)

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
