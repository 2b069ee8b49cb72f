"""examples/ci/gitlab-ci.yml run end to end by gitlab-ci-local (shell executor) against an emulator.

A repository of two stacks, applied; a merge request changes one of them: validate, a plan of
the affected stack only, posted as one note to a stand-in of the GitLab notes API; the merge:
validate, plan, apply of the saved plan; then nothing is left to do. cmqinfra is installed by
the recipe's own step, from a wheel built from this checkout (a source the user controls).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "project"))
from ci_tools import ROOT, missing, tool  # noqa: E402
from helpers import cmq, git, queues, write  # noqa: E402
from recipes import GITLAB  # noqa: E402

GITLAB_CI_LOCAL = tool("gitlab-ci-local")
pytestmark = pytest.mark.skipif(GITLAB_CI_LOCAL is None, reason=missing("gitlab-ci-local"))


class _Notes(BaseHTTPRequestHandler):
    """GitLab's merge request notes API, as much of it as the recipe uses."""

    notes: list[dict[str, object]] = []
    calls: list[str] = []

    def _reply(self, status: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, object]:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))

    def do_GET(self) -> None:  # noqa: N802
        self.calls.append(f"GET {self.path} {self.headers.get('PRIVATE-TOKEN')}")
        self._reply(200, self.notes)

    def do_POST(self) -> None:  # noqa: N802
        self.calls.append(f"POST {self.path}")
        note = {"id": len(self.notes) + 1, "body": self._body()["body"]}
        self.notes.append(note)
        self._reply(201, note)

    def do_PUT(self) -> None:  # noqa: N802
        self.calls.append(f"PUT {self.path}")
        note_id = int(self.path.rsplit("/", 1)[1])
        note = next(n for n in self.notes if n["id"] == note_id)
        note["body"] = self._body()["body"]
        self._reply(200, note)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def notes_api() -> Iterator[tuple[str, type[_Notes]]]:
    handler = type("Notes", (_Notes,), {"notes": [], "calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v4", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return next(out.glob("cmqinfra-*.whl"))


def _pipeline(repo: Path, variables: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [
        str(GITLAB_CI_LOCAL),
        "--force-shell-executor",
        "--home",
        str(repo.parent / "glci-home"),
        "--ignore-predefined-vars",
        ",".join(k for k in variables if k.startswith("CI_")),
    ]
    for key, value in variables.items():
        args += ["--variable", f"{key}={value}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENCENTCLOUD_", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    done = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=240)
    print("\n".join(line for line in done.stdout.splitlines() if "finished in" in line or "duration" in line))
    return done


def test_merge_request_then_merge_under_gitlab_ci_local(
    tmp_path: Path, notes_api: tuple[str, type[_Notes]], wheel: Path
) -> None:
    api_url, notes = notes_api
    emu = Emulator.start(tmp_path / "emulator.sqlite3", rate_limits=False)
    try:
        repo = tmp_path / "repo"
        write(
            repo,
            {
                "cmqinfra.yaml": f"""
                version: 1
                environments:
                  prod: {{region: {emu.region}, endpoint: {emu.url}}}
                stacks:
                  payments: {{path: stacks/payments}}
                  orders: {{path: stacks/orders}}
                """,
                "stacks/payments/payments.yaml": "stack: payments\nqueues:\n  payments: {}\n",
                "stacks/orders/orders.yaml": "stack: orders\nqueues:\n  orders: {}\n",
                ".gitignore": ".cmqinfra-venv/\n.gitlab-ci-local/\ncmqinfra.plan\nplan.md\n",
            },
        )
        shutil.copy(GITLAB, repo / ".gitlab-ci.yml")
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "two stacks")
        base = git(repo, "rev-parse", "HEAD").strip()
        code, _, err = cmq(repo, "apply", "--auto-approve")
        assert code == 0, err

        git(repo, "checkout", "-qb", "more-payments")
        (repo / "stacks/payments/payments.yaml").write_text(
            "stack: payments\nqueues:\n  payments: {}\n  refunds: {visibilityTimeout: 60}\n"
        )
        git(repo, "commit", "-qam", "a refunds queue")
        credentials = {
            "TENCENTCLOUD_PLAN_SECRET_ID": DEFAULT_SECRET_ID,
            "TENCENTCLOUD_PLAN_SECRET_KEY": DEFAULT_SECRET_KEY,
            "TENCENTCLOUD_SECRET_ID": DEFAULT_SECRET_ID,
            "TENCENTCLOUD_SECRET_KEY": DEFAULT_SECRET_KEY,
            "CMQINFRA_PACKAGE": str(wheel),
            "PIP_NO_COMPILE": "1",  # the install's bytecode compilation is most of its time here
        }
        mr = _pipeline(
            repo,
            {
                **credentials,
                "CI_PIPELINE_SOURCE": "merge_request_event",
                "CI_MERGE_REQUEST_DIFF_BASE_SHA": base,
                "CI_MERGE_REQUEST_IID": "7",
                "CI_PROJECT_ID": "42",
                "CI_API_V4_URL": api_url,
                "CMQINFRA_NOTE_TOKEN": "note-token",
            },
        )
        assert mr.returncode == 0, mr.stdout[-4000:] + mr.stderr[-2000:]
        assert "validate" in mr.stdout and "plan:mr" in mr.stdout
        # one note, on merge request 7 of project 42, holding the plan of the affected stack only
        assert [c.split(" ")[0] for c in notes.calls] == ["GET", "POST"]
        assert notes.calls[0].endswith("/projects/42/merge_requests/7/notes?per_page=100 note-token")
        (note,) = notes.notes
        body = str(note["body"])
        assert "`payments[prod]`" in body or "payments[prod]" in body
        assert "orders[prod]" not in body
        assert "refunds" in body
        assert "refunds" not in queues(emu)  # a merge request changes nothing

        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--ff-only", "more-payments")
        merged = _pipeline(repo, {**credentials, "CI_PIPELINE_SOURCE": "push"})
        assert merged.returncode == 0, merged.stdout[-4000:] + merged.stderr[-2000:]
        for job in ("validate", "plan", "apply"):
            assert f"{job} " in merged.stdout or f"{job}\n" in merged.stdout
        live = queues(emu)
        assert live["refunds"]["QueueDescribe"]["VisibilityTimeout"] == 60

        code, out, err = cmq(repo, "plan", "--detailed-exitcode")
        assert code == 0, out + err  # nothing left to do
    finally:
        emu.stop()
