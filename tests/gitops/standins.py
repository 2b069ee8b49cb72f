"""Stand-ins of the GitHub and GitLab REST APIs on 127.0.0.1, as much as the recipe scripts use.

They keep their state in plain lists and dicts the tests fill and read, record every request with
the credential header it carried, and answer the way the real APIs do (paging with per_page/page,
GitHub's artifact download as a 302 to another host).
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    credential: str | None


@dataclass
class State:
    requests: list[Seen] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by PR / MR number
    issues: list[dict[str, Any]] = field(default_factory=list)
    pulls_of_commit: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)  # GitHub workflow runs
    artifacts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by run id
    blobs: dict[int, bytes] = field(default_factory=dict)  # artifact id -> zip bytes
    pipelines: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # GitLab: by MR iid
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # GitLab: by pipeline id
    job_files: dict[int, bytes] = field(default_factory=dict)  # GitLab: job id -> cmqinfra.plan
    user_id: int = 99
    next_id: int = 1000


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _page(items: list[Any], query: dict[str, list[str]]) -> list[Any]:
    size = int(query.get("per_page", ["30"])[0])
    page = int(query.get("page", ["1"])[0])
    return items[(page - 1) * size : page * size]


class _Handler(BaseHTTPRequestHandler):
    state: State
    blob_url: str
    platform: str  # "github" | "gitlab"

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, payload: Any = None, raw: bytes | None = None,
               headers: dict[str, str] | None = None) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        header = "Authorization" if self.platform == "github" else "PRIVATE-TOKEN"
        self.state.requests.append(Seen(method, self.path, self.headers.get(header)))
        parts = [p for p in split.path.split("/") if p]
        query = parse_qs(split.query)
        try:
            answer = (self._github if self.platform == "github" else self._gitlab)(method, parts, query)
        except LookupError:
            answer = (404, {"message": "Not Found"})
        if isinstance(answer, bytes):
            self._reply(200, raw=answer)
        elif answer[0] == 302:
            self._reply(302, raw=b"", headers={"Location": answer[1]})
        else:
            self._reply(*answer)

    do_GET = lambda self: self._serve("GET")  # noqa: E731
    do_POST = lambda self: self._serve("POST")  # noqa: E731
    do_PUT = lambda self: self._serve("PUT")  # noqa: E731
    do_PATCH = lambda self: self._serve("PATCH")  # noqa: E731

    # ------------------------------------------------------------- GitHub: /repos/OWNER/NAME/...

    def _github(self, method: str, parts: list[str], query: dict[str, list[str]]) -> Any:
        s = self.state
        if parts[:1] == ["blob"]:  # the storage host an artifact download redirects to
            return s.blobs[int(parts[1])]
        rest = parts[3:]
        if rest[:1] == ["issues"] and len(rest) == 3 and rest[2] == "comments":
            number = int(rest[1])
            comments = s.comments.setdefault(number, [])
            if method == "GET":
                return 200, _page(comments, query)
            s.next_id += 1
            made = {"id": s.next_id, "body": self._body()["body"], "user": {"login": "github-actions[bot]"}}
            comments.append(made)
            return 201, made
        if rest[:2] == ["issues", "comments"] and method == "PATCH":
            comment = next(c for cs in s.comments.values() for c in cs if c["id"] == int(rest[2]))
            comment["body"] = self._body()["body"]
            return 200, comment
        if rest == ["issues"]:
            if method == "GET":
                label = query.get("labels", [""])[0]
                found = [i for i in s.issues if i["state"] == query.get("state", ["open"])[0]
                         and label in i["labels"]]
                return 200, _page(found, query)
            body = self._body()
            s.next_id += 1
            issue = {"number": s.next_id, "body": body["body"], "title": body["title"],
                     "labels": body.get("labels", []), "state": "open"}
            s.issues.append(issue)
            return 201, issue
        if rest[:1] == ["issues"] and method == "PATCH":
            issue = next(i for i in s.issues if i["number"] == int(rest[1]))
            issue.update(self._body())
            return 200, issue
        if rest[:1] == ["commits"] and rest[2:] == ["pulls"]:
            return 200, s.pulls_of_commit.get(rest[1], [])
        if rest == ["actions", "runs"]:
            runs = [r for r in s.runs
                    if r["event"] == query["event"][0] and r["head_sha"] == query["head_sha"][0]]
            return 200, {"total_count": len(runs), "workflow_runs": runs}
        if rest[:2] == ["actions", "runs"] and rest[3:] == ["artifacts"]:
            artifacts = s.artifacts.get(int(rest[2]), [])
            return 200, {"total_count": len(artifacts), "artifacts": _page(artifacts, query)}
        if rest[:2] == ["actions", "artifacts"] and rest[3:] == ["zip"]:
            return 302, f"{self.blob_url}/blob/{int(rest[2])}"
        raise LookupError

    # ------------------------------------------------------------- GitLab: /api/v4/...

    def _gitlab(self, method: str, parts: list[str], query: dict[str, list[str]]) -> Any:
        s = self.state
        rest = parts[2:]
        if rest == ["user"]:
            return 200, {"id": s.user_id, "username": "project_42_bot"}
        rest = rest[2:]  # projects/:id
        if rest[:1] == ["merge_requests"] and rest[2:3] == ["notes"]:
            iid = int(rest[1])
            notes = s.comments.setdefault(iid, [])
            if method == "GET":
                return 200, _page(notes, query)
            if method == "POST":
                s.next_id += 1
                made = {"id": s.next_id, "body": self._body()["body"], "author": {"id": s.user_id}}
                notes.append(made)
                return 201, made
            note = next(n for n in notes if n["id"] == int(rest[3]))
            note["body"] = self._body()["body"]
            return 200, note
        if rest[:1] == ["merge_requests"] and rest[2:] == ["pipelines"]:
            return 200, _page(s.pipelines.get(int(rest[1]), []), query)
        if rest[:2] == ["repository", "commits"] and rest[3:] == ["merge_requests"]:
            return 200, s.pulls_of_commit.get(rest[2], [])
        if rest[:1] == ["pipelines"] and rest[2:] == ["jobs"]:
            return 200, _page(s.jobs.get(int(rest[1]), []), query)
        if rest[:1] == ["jobs"] and rest[2:] == ["artifacts", "cmqinfra.plan"]:
            return s.job_files[int(rest[1])]
        if rest == ["issues"]:
            if method == "GET":
                label = query.get("labels", [""])[0]
                found = [i for i in s.issues if i["state"] == query.get("state", ["opened"])[0]
                         and label in i["labels"]]
                return 200, _page(found, query)
            body = self._body()
            s.next_id += 1
            issue = {"iid": s.next_id, "description": body["description"], "title": body["title"],
                     "labels": [body.get("labels", "")], "state": "opened"}
            s.issues.append(issue)
            return 201, issue
        if rest[:1] == ["issues"] and method == "PUT":
            issue = next(i for i in s.issues if i["iid"] == int(rest[1]))
            body = self._body()
            if body.get("state_event") == "close":
                issue["state"] = "closed"
            issue.update({k: v for k, v in body.items() if k != "state_event"})
            return 200, issue
        raise LookupError


@dataclass(frozen=True)
class Running:
    url: str  # the API base: http://127.0.0.1:PORT (GitHub) or .../api/v4 (GitLab)
    state: State
    blob_state: State  # what the storage host saw (GitHub's artifact redirect)


@contextmanager
def serve(platform: str) -> Iterator[Running]:
    state, blob_state = State(), State()
    blob = ThreadingHTTPServer(("127.0.0.1", 0), type("Blob", (_Handler,), {
        "state": blob_state, "blob_url": "", "platform": "github"}))
    blob_url = f"http://127.0.0.1:{blob.server_address[1]}"
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Api", (_Handler,), {
        "state": state, "blob_url": blob_url, "platform": platform}))
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (server, blob)]
    for t in threads:
        t.start()
    blob_state.blobs = state.blobs  # one store, two hosts
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield Running(base if platform == "github" else base + "/api/v4", state, blob_state)
    finally:
        for s in (server, blob):
            s.shutdown()
            s.server_close()
