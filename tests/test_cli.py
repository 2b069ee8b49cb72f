import subprocess
import sys

from cmqinfra import __version__


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cmqinfra", *args], capture_output=True, text=True)


def test_version_prints_the_package_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"cmqinfra {__version__}"


def test_unknown_command_is_exit_1_not_click_usage_2() -> None:
    result = run("no-such-command")
    assert result.returncode == 1
    assert "No such command" in result.stderr
