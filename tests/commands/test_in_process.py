"""The commands whose other tests start a child process (the emulator's server, completion, the
console entry point), run here in this process: what they print and decide, pinned where a
mutation of their wiring would show."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from cmqinfra.cli import main
from cmqinfra.commands.completion import completion_script

PAYMENTS = """\
stack: payments
region: ap-shanghai
queues:
  payments: {}
"""
SHIPPING = """\
stack: shipping
region: ap-shanghai
queues:
  shipping: {}
"""


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.fixture
def restored_signals() -> Iterator[None]:
    """``serve`` installs its own SIGINT/SIGTERM handlers: put pytest's back afterwards."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)


def _stop_when_ready(port: int, seen: list[int], health: dict[str, object] | None = None) -> threading.Thread:
    """SIGTERM this process once the emulator on ``port`` answers ready (its health answer put in
    ``health``): ``serve`` then stops."""
    health = {} if health is None else health

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_cmqinfra/ready", timeout=2) as r:
                    seen.append(r.status)
                if r.status == 200:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_cmqinfra/health", timeout=2) as h:
                        health.update(json.loads(h.read()))
                    break
            except OSError:
                pass
            time.sleep(0.05)
        # Only ``serve``'s own handler may receive it: a server that never started (a broken
        # change) must fail its test, not terminate the test run.
        if getattr(signal.getsignal(signal.SIGTERM), "__name__", "") == "on_signal":
            os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_applies_a_folder_in_the_manifests_region_and_removes_its_scratch_state(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    restored_signals: None,
) -> None:
    folder = tmp_path / "manifests"
    (folder / "shipping").mkdir(parents=True)
    (folder / "payments.yaml").write_text(PAYMENTS)
    (folder / "audit.yml").write_text(PAYMENTS.replace("payments", "audit"))
    (folder / "shipping" / "queues.yml").write_text(SHIPPING)
    (folder / "billing").mkdir()
    (folder / "billing" / "queues.yaml").write_text(SHIPPING.replace("shipping", "billing"))
    (folder / "notes.txt").write_text("not a manifest")
    (folder / "flows.cmqtest.yaml").write_text("tests: []\n")
    (folder / ".hidden.yaml").write_text("not: a stack\n")
    (folder / "empty").mkdir()
    (folder / "docs").mkdir()
    (folder / "docs" / "README.md").write_text("no manifests here")
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_parent))
    port = _free_port()
    seen: list[int] = []
    watcher = _stop_when_ready(port, seen)
    code, out, err = cli(capsys, "emulator", "--fresh", "--port", str(port), "--apply-dir", str(folder))
    watcher.join(5)
    assert code == 0, err
    url = f"http://127.0.0.1:{port}"
    assert out.splitlines() == [
        f"applied {folder / 'audit.yml'} (stack audit): 1 added, 0 changed, 0 destroyed",
        f"applied {folder / 'billing'} (stack billing): 1 added, 0 changed, 0 destroyed",
        f"applied {folder / 'payments.yaml'} (stack payments): 1 added, 0 changed, 0 destroyed",
        f"applied {folder / 'shipping'} (stack shipping): 1 added, 0 changed, 0 destroyed",
        f"TDMQ API 3.0 (tencentcloud SDKs, tccli): {url}  region ap-shanghai",
        f"CMQ message API (cmq SDK Account host):  {url}  path /v2/index.php",
        f"listening on {url}",
    ]
    assert seen and seen[-1] == 200
    assert list(scratch_parent.iterdir()) == []  # --fresh's temporary state is gone on exit


def test_serve_without_manifests_serves_the_default_region_and_an_absent_folder_applies_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restored_signals: None
) -> None:
    port = _free_port()
    health: dict[str, object] = {}
    watcher = _stop_when_ready(port, [], health)
    code, out, _ = cli(
        capsys, "emulator", "--port", str(port), "--data", str(tmp_path / "e.sqlite3"),
        "--apply-dir", str(tmp_path / "absent"),
    )
    watcher.join(5)
    assert (code, out) == (0, f"listening on http://127.0.0.1:{port}\n")
    assert (tmp_path / "e.sqlite3").is_file()  # not --fresh: the state stays
    assert health["region"] == "ap-guangzhou"


def test_serve_without_manifests_serves_the_region_asked_for(
    capsys: pytest.CaptureFixture[str], restored_signals: None
) -> None:
    port = _free_port()
    health: dict[str, object] = {}
    watcher = _stop_when_ready(port, [], health)
    code, _, err = cli(capsys, "emulator", "--fresh", "--port", str(port), "--region", "ap-shanghai")
    watcher.join(5)
    assert code == 0, err
    assert health["region"] == "ap-shanghai"


def test_serve_of_stacks_in_two_regions_serves_the_default_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restored_signals: None
) -> None:
    (tmp_path / "a.yaml").write_text(PAYMENTS)
    (tmp_path / "b.yaml").write_text(SHIPPING.replace("ap-shanghai", "ap-beijing"))
    port = _free_port()
    watcher = _stop_when_ready(port, [])
    code, out, err = cli(
        capsys, "emulator", "--fresh", "--port", str(port), "--apply", str(tmp_path / "a.yaml"),
        str(tmp_path / "b.yaml"),
    )
    watcher.join(5)
    assert code == 0, err
    assert "region ap-guangzhou" in out.splitlines()[2]


def test_serve_names_a_manifest_it_cannot_load_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], restored_signals: None
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("stack: x\nqueues: [\n")
    code, out, err = cli(capsys, "emulator", "--fresh", "--port", "0", "--apply", str(broken))
    assert code == 1 and out == ""
    assert err.endswith("Error: 1 error(s) in the manifests; the emulator was not started\n")
    assert "broken.yaml:3:1: error: invalid YAML" in err and "Traceback" not in err


def test_serve_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "emulator", "--apply")
    assert code == 1 and "--apply needs at least one manifest PATH" in err


def test_emulator_group_lists_its_admin_commands_and_routes_the_rest_to_the_server(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cmqinfra.commands.emulator import command

    admin = ["messages", "purge", "redrive", "reset", "advance"]
    assert command.list_commands(click.Context(command)) == admin
    assert command.get_command(click.Context(command), "purge").name == "purge"  # type: ignore[union-attr]
    assert command.get_command(click.Context(command), "serve") is None
    code, out, _ = cli(capsys, "emulator", "purge", "--help")
    assert code == 0 and "Delete every message of QUEUE" in out


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_script_asks_cmqinfra_through_its_variable(
    shell: str, capsys: pytest.CaptureFixture[str]
) -> None:
    script = completion_script(shell)
    assert "_CMQINFRA_COMPLETE" in script and f"{shell}_" in script and "cmqinfra" in script
    code, out, _ = cli(capsys, "completion", shell)
    assert (code, out) == (0, script + "\n")


def test_main_maps_usage_errors_and_unknown_commands_to_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "no-such-command")
    assert code == 1 and "No such command 'no-such-command'" in err
    assert err.startswith("Usage: cmqinfra [OPTIONS] COMMAND [ARGS]...\nTry 'cmqinfra --help' for help.\n")
    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.startswith("cmqinfra ")
    code, out, _ = cli(capsys, "--help")
    assert code == 0 and "cam-policy" in out and "Print the completion script" in out


def test_main_reports_an_interrupt_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cmqinfra.commands import cam_policy

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cam_policy.command, "callback", interrupted)
    # click turns an interrupt inside a command into Abort (after a newline)
    assert cli(capsys, "cam-policy")[0::2] == (1, "\nAborted.\n")

    def aborted(*_args: object, **_kwargs: object) -> None:
        raise click.exceptions.Abort

    monkeypatch.setattr(cam_policy.command, "callback", aborted)
    assert cli(capsys, "cam-policy")[0::2] == (1, "Aborted.\n")


def _command_rows(help_text: str) -> list[str]:
    return help_text.split("Commands:\n", 1)[1].splitlines()


def test_the_help_listing_gives_each_command_one_line_within_the_width(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cmqinfra.cli import COMMANDS

    rows = _command_rows(cli(capsys, "--help")[1])
    assert [row.split()[0] for row in rows] == sorted(COMMANDS)  # no row wraps onto a second line
    assert all(len(row) <= 80 for row in rows)
    assert "  cam-policy        Print the CAM policy (JSON) a key needs for `plan`..." in rows


def test_a_command_without_a_summary_is_listed_from_its_own_help(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cmqinfra import cli as cli_module

    listed = _command_rows(cli(capsys, "--help")[1])
    monkeypatch.delitem(cli_module.SUMMARIES, "schema")
    assert _command_rows(cli(capsys, "--help")[1]) == listed


def test_a_command_s_own_exit_status_is_the_process_s_and_its_return_value_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = cli(capsys, "test", str(tmp_path))  # nothing to run: the command exits 1 itself
    assert (code, err) == (1, f"error: {tmp_path}: no *.cmqtest.yaml test files here\n")
    from cmqinfra.commands import cam_policy

    monkeypatch.setattr(cam_policy.command, "callback", lambda **_kwargs: "a value")
    assert cli(capsys, "cam-policy") == (0, "", "")


def test_the_admin_target_options_names_defaults_and_variables() -> None:
    import json

    from click.testing import CliRunner

    from cmqinfra.commands.emulator_admin import _target_options
    from cmqinfra.local_pair import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY

    @click.command()
    def probe(**given: object) -> None:
        click.echo(json.dumps(given, sort_keys=True))

    command = click.command()(_target_options(probe.callback))  # type: ignore[arg-type]
    runner = CliRunner()
    assert runner.invoke(command, ["--help"], terminal_width=200).output.splitlines()[2:] == [
        "Options:",
        "  --endpoint URL        A running emulator (http://HOST:PORT); without it, the local state file.",
        "  --data FILE           The local state file, used when no --endpoint is given.  "
        "[default: .cmqinfra/emulator.sqlite3]",
        "  --secret-id TEXT      The emulator's SecretId (env CMQINFRA_EMULATOR_SECRET_ID).  "
        f"[default: {DEFAULT_SECRET_ID}]",
        "  --secret-key TEXT     The emulator's SecretKey (env CMQINFRA_EMULATOR_SECRET_KEY); the documented "
        "local key by default.",
        "  --format [text|json]  [default: text]",
        "  --help                Show this message and exit.",
    ]
    defaults = {"data": ".cmqinfra/emulator.sqlite3", "endpoint": None, "fmt": "text",
                "secret_id": DEFAULT_SECRET_ID, "secret_key": DEFAULT_SECRET_KEY}
    assert json.loads(runner.invoke(command, [], env={
        "CMQINFRA_EMULATOR_ENDPOINT": None, "CMQINFRA_EMULATOR_SECRET_ID": None,
        "CMQINFRA_EMULATOR_SECRET_KEY": None}).output) == defaults
    variables = {"CMQINFRA_EMULATOR_ENDPOINT": "http://e:1", "CMQINFRA_EMULATOR_SECRET_ID": "i",
                 "CMQINFRA_EMULATOR_SECRET_KEY": "k"}
    chosen = runner.invoke(command, ["--format", "json", "--data", "s.db"], env=variables).output
    assert json.loads(chosen) == {
        "data": "s.db", "endpoint": "http://e:1", "fmt": "json", "secret_id": "i", "secret_key": "k"}
    assert runner.invoke(command, ["--format", "JSON"]).exit_code == 2
    assert runner.invoke(command, ["--data", "."]).exit_code == 2  # a directory is no state file


def test_admin_errors_name_the_state_file_or_the_endpoint_and_json_is_the_answer_as_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from cmqinfra.emulator import Emulator

    data = tmp_path / "e.sqlite3"
    with Emulator.start(data, rate_limits=False, push_loop=False):
        pass
    code, _, err = cli(capsys, "emulator", "purge", "nosuch", "--data", str(data))
    assert code == 1 and err.startswith(f"Error: {data}: ResourceNotFound")
    port = _free_port()  # nothing listens there
    code, _, err = cli(capsys, "emulator", "purge", "q", "--endpoint", f"http://127.0.0.1:{port}")
    assert code == 1 and err.startswith(f"Error: http://127.0.0.1:{port}: ")
    code, out, _ = cli(capsys, "emulator", "reset", "--data", str(data), "--format", "json")
    answer = {"stack": None, "queues": [], "topics": [], "unboundDeadLetter": []}
    assert (code, json.loads(out)) == (0, answer) and out == json.dumps(json.loads(out), indent=2) + "\n"


def test_a_translation_that_would_not_load_is_reported_at_its_line_and_not_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q"\n  visibility_timeout = 999999\n}\n'
    )
    out = tmp_path / "out.yaml"
    code, stdout, err = cli(capsys, "import-terraform", str(tmp_path / "main.tf"), "-o", str(out))
    assert (code, stdout) == (1, "")
    assert err == (
        f"{out} (not written):6:24: error: visibilityTimeout must be at most 43200 (got 999999)\n"
        "error: the translated manifest has 1 error(s); nothing was written\n"
    )
    assert not out.exists()
    monkeypatch.chdir(tmp_path)
    code, stdout, err = cli(capsys, "import-terraform", "main.tf")
    assert (code, stdout) == (1, "")
    assert err.startswith("imported.yaml (not written):6:24: error: visibilityTimeout must be at most 43200")


@pytest.mark.parametrize(
    ("raised", "code", "err"),
    [
        # what click lets escape in non-standalone mode: an interrupt arriving after a command's
        # own handling, an Exit raised around the command rather than in it
        (KeyboardInterrupt(), 1, "Interrupted.\n"),
        (click.exceptions.Exit(3), 3, ""),
        (click.exceptions.Abort(), 1, "Aborted.\n"),
    ],
)
def test_main_maps_what_escapes_click_to_one_line_and_an_exit_status(
    raised: BaseException, code: int, err: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cmqinfra import cli as cli_module

    def escaping(*_args: object, **_kwargs: object) -> None:
        raise raised

    monkeypatch.setattr(cli_module.cli, "main", escaping)
    assert cli(capsys, "validate") == (code, "", err)


def test_the_emulator_group_passes_context_settings_to_its_admin_commands() -> None:
    from cmqinfra.commands.emulator import command

    marker = object()
    context = command.make_context("emulator", ["reset", "--help"], obj=marker, resilient_parsing=True)
    assert context.obj is marker and context.resilient_parsing
    served = command.make_context("emulator", ["--fresh"], obj=marker, resilient_parsing=True)
    assert served.obj is marker and served.command.name == "emulator"


def test_a_fresh_emulator_whose_scratch_state_was_cleaned_away_still_stops_cleanly(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    restored_signals: None,
) -> None:
    import shutil

    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_parent))
    port = _free_port()
    health: dict[str, object] = {}

    real_kill = os.kill

    def kill_after_cleaning(pid: int, signum: int) -> None:  # a tmp cleaner got there first
        for scratch in scratch_parent.iterdir():
            shutil.rmtree(scratch)
        real_kill(pid, signum)

    monkeypatch.setattr(os, "kill", kill_after_cleaning)
    _stop_when_ready(port, [], health)
    code, out, err = cli(capsys, "emulator", "--fresh", "--port", str(port))
    assert code == 0, err
    assert out == f"listening on http://127.0.0.1:{port}\n" and health["status"] == "running"
