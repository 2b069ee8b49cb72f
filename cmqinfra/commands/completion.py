"""``cmqinfra completion bash|zsh|fish``: print the shell completion script.

Uses click's own completion classes, so the script and the ``_CMQINFRA_COMPLETE`` protocol stay
in step with the installed click version. Install with, for example::

    eval "$(cmqinfra completion bash)"          # ~/.bashrc
    cmqinfra completion fish > ~/.config/fish/completions/cmqinfra.fish
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

PROG_NAME = "cmqinfra"
# The variable click's generated scripts set when they ask the program for completions.
COMPLETE_VAR = "_CMQINFRA_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


def completion_script(shell: str) -> str:
    """The completion script for ``shell``, for the ``cmqinfra`` program."""
    from cmqinfra.cli import cli  # late import: cli imports this module lazily

    completion_class = get_completion_class(shell)
    if completion_class is None:  # pragma: no cover - SHELLS is the guard
        raise click.ClickException(f"unsupported shell {shell!r}")
    return completion_class(cli, {}, PROG_NAME, COMPLETE_VAR).source()


@click.command(name="completion")
@click.argument("shell", type=click.Choice(SHELLS))
def command(shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish)."""
    click.echo(completion_script(shell))
