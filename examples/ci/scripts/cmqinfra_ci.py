#!/usr/bin/env python3
"""The API steps of cmqinfra's CI recipes (examples/ci/*.yml), for GitLab and GitHub.

Copy this file to `.cmqinfra-ci/cmqinfra_ci.py` in your repository (the recipes call it there).
Python 3.9+, standard library only. Every token comes from the environment, is sent only to the
platform's own API URL (CI_API_V4_URL / GITHUB_API_URL, set by the platform) and never printed.

  gitlab-note FILE          post FILE as THE merge request's plan note, edited in place on every push
  gitlab-fetch-plan OUT     the plan saved by the last push of the merge request that made this commit
  gitlab-drift-issue CODE FILE   scheduled drift check: exit 2 opens/updates one issue, 0 closes it
  github-comment FILE       the same on a pull request (one comment, found by its hidden marker)
  github-fetch-plan OUT     the same on GitHub (the newest plan run of the pull request's head commit)
  github-drift-issue CODE FILE

`*-fetch-plan` exits 0 with OUT written, or 3 with a reason on stderr (no reviewed plan for this
commit, or the merged tree is not the reviewed one): nothing may be applied then.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from typing import Any

PLAN_MARKER = "<!-- cmqinfra:plan -->"
DRIFT_MARKER = "<!-- cmqinfra:drift -->"
DRIFT_LABEL = "cmqinfra-drift"
NOT_APPLICABLE = 3  # exit code: nothing reviewed to apply
MAX_BODY = 65_536  # GitHub's comment limit; GitLab's note limit is larger, one rule for both


class Stop(Exception):
    """A reason to stop, worded for the job log; exits with ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise Stop(f"{name} is not set")
    return value


class Api:
    """JSON over HTTPS to one base URL, with one token header that is never sent elsewhere."""

    def __init__(self, base: str, header: str, token: str) -> None:
        self.base = base.rstrip("/")
        self.header = header
        self.token = token

    def request(self, method: str, path: str, body: Any = None, raw: bool = False) -> Any:
        url = path if path.startswith(self.base + "/") else self.base + path
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method)
        # unredirected: a redirect (GitHub's artifact download goes to blob storage) never
        # carries the token to another host
        req.add_unredirected_header(self.header, self.token)
        req.add_header("Accept", "application/json" if not raw else "*/*")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                payload = response.read()
                links = response.headers.get("Link", "")
        except urllib.error.HTTPError as exc:
            raise Stop(f"{method} {urllib.parse.urlsplit(url).path}: HTTP {exc.code}") from None
        except urllib.error.URLError as exc:
            raise Stop(f"{method} {urllib.parse.urlsplit(url).path}: {exc.reason}") from None
        if raw:
            return payload
        self.last_links = links
        return json.loads(payload) if payload.strip() else None

    def pages(self, path: str, key: str | None = None) -> list[Any]:
        """Every item of a paged list (page=N&per_page=100 until a short page)."""
        out: list[Any] = []
        sep = "&" if "?" in path else "?"
        for page in range(1, 101):  # bounded: 10,000 items
            got = self.request("GET", f"{path}{sep}per_page=100&page={page}")
            items = got[key] if key is not None else got
            out.extend(items)
            if len(items) < 100:
                break
        return out


def _body(marker: str, text: str, footer: str) -> str:
    body = f"{marker}\n{text.rstrip()}\n\n{footer}\n"
    if len(body) > MAX_BODY:  # the comment was cut by cmqinfra already; a footer cannot push it over
        body = f"{marker}\n{text[: MAX_BODY - len(marker) - len(footer) - 10].rstrip()}\n\n{footer}\n"
    return body


def read_plan_file(path: str, job_url: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        text = ""
    if not text.strip():
        text = ("## :x: cmqinfra plan did not run to the end\n\nNo plan was produced: "
                f"[the job log]({job_url}) says why. Nothing can be applied.")
    return text


def tree_of(commit: str) -> str | None:
    done = subprocess.run(["git", "rev-parse", "--verify", "-q", f"{commit}^{{tree}}"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


# ------------------------------------------------------------------ GitLab


def gitlab(token_var: str) -> tuple[Api, str]:
    api = Api(env("CI_API_V4_URL"), "PRIVATE-TOKEN", env(token_var))
    return api, f"/projects/{urllib.parse.quote(env('CI_PROJECT_ID'), safe='')}"


def gitlab_note(path: str) -> None:
    api, project = gitlab("CMQINFRA_NOTE_TOKEN")
    iid = env("CI_MERGE_REQUEST_IID")
    job = os.environ.get("CMQINFRA_PLAN_JOB_URL") or os.environ.get("CI_JOB_URL", "")
    footer = (f"<sub>Full plan: the `plan-full.md` artifact of [the plan job]({job}). Updated on every push; "
              "apply on merge applies exactly this plan, or nothing.</sub>")
    body = _body(PLAN_MARKER, read_plan_file(path, job), footer)
    notes = f"{project}/merge_requests/{iid}/notes"
    me = _gitlab_user(api)
    ours = [n for n in api.pages(f"{notes}?sort=asc&order_by=created_at")
            if str(n.get("body", "")).startswith(PLAN_MARKER)
            and (me is None or (n.get("author") or {}).get("id") == me)]
    if ours:
        api.request("PUT", f"{notes}/{ours[0]['id']}", {"body": body})
        print(f"updated the plan note on merge request !{iid}")
    else:
        api.request("POST", notes, {"body": body})
        print(f"posted the plan note on merge request !{iid}")


def _gitlab_user(api: Api) -> int | None:
    """The token's own user: only its notes are ever edited (an author may paste the marker)."""
    try:
        return int(api.request("GET", "/user")["id"])
    except (Stop, KeyError, TypeError, ValueError):
        return None


def gitlab_fetch_plan(out: str) -> None:
    api, project = gitlab("CMQINFRA_READ_TOKEN")
    sha = env("CI_COMMIT_SHA")
    mrs = api.request("GET", f"{project}/repository/commits/{sha}/merge_requests") or []
    merged = [m for m in mrs if m.get("state") == "merged"
              and sha in (m.get("merge_commit_sha"), m.get("squash_commit_sha"), m.get("sha"))]
    if not merged:
        raise Stop(f"commit {sha[:12]} was not made by merging a merge request: there is no reviewed plan "
                   "for it, nothing is applied", NOT_APPLICABLE)
    mr = merged[0]
    iid, head = mr["iid"], mr["sha"]
    pipelines = [p for p in api.pages(f"{project}/merge_requests/{iid}/pipelines") if p.get("sha") == head]
    if not pipelines:
        raise Stop(f"merge request !{iid}: no pipeline ran for its last push {head[:12]}; "
                   "nothing is applied", NOT_APPLICABLE)
    newest = max(pipelines, key=lambda p: int(p["id"]))
    jobs = [j for j in api.pages(f"{project}/pipelines/{newest['id']}/jobs")
            if j.get("name") == os.environ.get("CMQINFRA_PLAN_JOB", "plan:mr")]
    done = [j for j in jobs if j.get("status") == "success"]
    if not done:
        state = jobs[0].get("status") if jobs else "missing"
        raise Stop(f"merge request !{iid}: the plan of its last push {head[:12]} (pipeline {newest['id']}) "
                   f"is {state}, not a plan that can be applied; nothing is applied", NOT_APPLICABLE)
    _same_tree(sha, head, lambda: _gitlab_fetch_head(iid), f"merge request !{iid}")
    data = api.request("GET", f"{project}/jobs/{done[-1]['id']}/artifacts/cmqinfra.plan", raw=True)
    with open(out, "wb") as f:
        f.write(data)
    with open("cmqinfra-reviewed.env", "w", encoding="utf-8") as f:
        f.write(f"CMQINFRA_MR_IID={iid}\nCMQINFRA_REVIEWED_SHA={head}\nCMQINFRA_PLAN_PIPELINE={newest['id']}\n")
    print(f"the plan reviewed on merge request !{iid} (last push {head[:12]}, pipeline {newest['id']}) "
          f"is in {out}")


def _gitlab_fetch_head(iid: int) -> None:
    subprocess.run(["git", "fetch", "-q", "origin", f"refs/merge-requests/{iid}/head"],
                   capture_output=True, check=False)


def _same_tree(merged: str, head: str, fetch: Any, what: str) -> None:
    """The merged commit must hold exactly the files that were reviewed (no other merge between)."""
    if tree_of(head) is None:
        fetch()
    reviewed, applied = tree_of(head), tree_of(merged)
    if reviewed is None or applied is None:
        raise Stop(f"{what}: cannot compare the merged commit with the reviewed one {head[:12]} (git has "
                   "neither); nothing is applied", NOT_APPLICABLE)
    if reviewed != applied:
        raise Stop(f"{what}: the merged commit {merged[:12]} differs from the reviewed head {head[:12]} "
                   "(another merge came between): the reviewed plan is stale; nothing is applied",
                   NOT_APPLICABLE)


def gitlab_drift_issue(code: int, path: str) -> None:
    api, project = gitlab("CMQINFRA_NOTE_TOKEN")
    job = os.environ.get("CI_JOB_URL", "")
    opened = [i for i in api.pages(f"{project}/issues?state=opened&labels={DRIFT_LABEL}")
              if str(i.get("description", "")).startswith(DRIFT_MARKER)]
    if code == 2:
        footer = (f"<sub>Found by [the scheduled drift check]({job}); closed by the first check that "
                  "finds none.</sub>")
        body = _body(DRIFT_MARKER, read_plan_file(path, job), footer)
        if opened:
            api.request("PUT", f"{project}/issues/{opened[0]['iid']}", {"description": body})
            print(f"drift: updated issue #{opened[0]['iid']}")
        else:
            made = api.request("POST", f"{project}/issues", {"title": "cmqinfra: live state drifted from the "
                                                             "manifests", "description": body,
                                                             "labels": DRIFT_LABEL})
            print(f"drift: opened issue #{made['iid']}")
    elif code == 0:
        for issue in opened:
            api.request("PUT", f"{project}/issues/{issue['iid']}", {"state_event": "close"})
            print(f"no drift: closed issue #{issue['iid']}")
    else:
        raise Stop(f"the drift check's plan failed (exit {code}); the issue is left as it is")


# ------------------------------------------------------------------ GitHub


def github() -> tuple[Api, str]:
    api = Api(os.environ.get("GITHUB_API_URL", "https://api.github.com"), "Authorization",
              f"Bearer {env('GITHUB_TOKEN')}")
    return api, f"/repos/{env('GITHUB_REPOSITORY')}"


def github_comment(path: str) -> None:
    api, repo = github()
    number = env("PR_NUMBER")
    run = f"{os.environ.get('GITHUB_SERVER_URL', '')}/{env('GITHUB_REPOSITORY')}/actions/runs/" \
          f"{os.environ.get('GITHUB_RUN_ID', '')}"
    footer = (f"<sub>Full plan: the job summary and the `cmqinfra-plan-md` artifact of [this run]({run}). "
              "Updated on every push; merging applies exactly this plan, or nothing.</sub>")
    body = _body(PLAN_MARKER, read_plan_file(path, run), footer)
    bot = os.environ.get("CMQINFRA_BOT_LOGIN", "github-actions[bot]")
    ours = [c for c in api.pages(f"{repo}/issues/{number}/comments")
            if str(c.get("body", "")).startswith(PLAN_MARKER) and (c.get("user") or {}).get("login") == bot]
    if ours:
        api.request("PATCH", f"{repo}/issues/comments/{ours[0]['id']}", {"body": body})
        print(f"updated the plan comment on pull request #{number}")
    else:
        api.request("POST", f"{repo}/issues/{number}/comments", {"body": body})
        print(f"posted the plan comment on pull request #{number}")


def github_fetch_plan(out: str) -> None:
    api, repo = github()
    sha = env("GITHUB_SHA")
    pulls = api.request("GET", f"{repo}/commits/{sha}/pulls") or []
    merged = [p for p in pulls if p.get("merged_at") and p.get("merge_commit_sha") == sha]
    if not merged:
        raise Stop(f"commit {sha[:12]} was not made by merging a pull request: there is no reviewed plan for "
                   "it, nothing is applied", NOT_APPLICABLE)
    pr = merged[0]
    number, head = pr["number"], pr["head"]["sha"]
    workflow = os.environ.get("CMQINFRA_WORKFLOW", "cmqinfra")
    runs = [r for r in api.request("GET", f"{repo}/actions/runs?event=pull_request&head_sha={head}"
                                          "&per_page=100")["workflow_runs"]
            if r.get("name") == workflow and r.get("head_sha") == head]
    if not runs:
        raise Stop(f"pull request #{number}: no plan ran for its last push {head[:12]}; nothing is applied",
                   NOT_APPLICABLE)
    newest = max(runs, key=lambda r: int(r["id"]))  # a re-plan (a label added) is newer than the push's
    if newest.get("status") != "completed":
        raise Stop(f"pull request #{number}: the plan run {newest['id']} of its last push is still "
                   f"{newest.get('status')}; nothing is applied", NOT_APPLICABLE)
    name = f"cmqinfra-plan-{number}-{head}"
    artifacts = [a for a in api.pages(f"{repo}/actions/runs/{newest['id']}/artifacts", "artifacts")
                 if a.get("name") == name and not a.get("expired")]
    if not artifacts:
        raise Stop(f"pull request #{number}: the newest plan of its last push {head[:12]} "
                   f"(run {newest['id']}) was refused or failed, so there is no plan that can be applied; "
                   "nothing is applied",
                   NOT_APPLICABLE)
    _same_tree(sha, head, lambda: subprocess.run(["git", "fetch", "-q", "origin", head], capture_output=True,
                                                 check=False), f"pull request #{number}")
    data = api.request("GET", artifacts[0]["archive_download_url"], raw=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        plan = archive.read("cmqinfra.plan")  # only this member, never extracted by its own name
    with open(out, "wb") as f:
        f.write(plan)
    with open(os.environ.get("GITHUB_OUTPUT", os.devnull), "a", encoding="utf-8") as f:
        f.write(f"pr={number}\nreviewed_sha={head}\nplan_run={newest['id']}\n")
    print(f"the plan reviewed on pull request #{number} (last push {head[:12]}, run {newest['id']}) "
          f"is in {out}")


def github_drift_issue(code: int, path: str) -> None:
    api, repo = github()
    run = f"{os.environ.get('GITHUB_SERVER_URL', '')}/{env('GITHUB_REPOSITORY')}/actions/runs/" \
          f"{os.environ.get('GITHUB_RUN_ID', '')}"
    opened = [i for i in api.pages(f"{repo}/issues?state=open&labels={DRIFT_LABEL}")
              if str(i.get("body") or "").startswith(DRIFT_MARKER) and "pull_request" not in i]
    if code == 2:
        footer = (f"<sub>Found by [the scheduled drift check]({run}); closed by the first check that "
                  "finds none.</sub>")
        body = _body(DRIFT_MARKER, read_plan_file(path, run), footer)
        if opened:
            api.request("PATCH", f"{repo}/issues/{opened[0]['number']}", {"body": body})
            print(f"drift: updated issue #{opened[0]['number']}")
        else:
            made = api.request("POST", f"{repo}/issues", {"title": "cmqinfra: live state drifted from the "
                                                          "manifests", "body": body, "labels": [DRIFT_LABEL]})
            print(f"drift: opened issue #{made['number']}")
    elif code == 0:
        for issue in opened:
            api.request("PATCH", f"{repo}/issues/{issue['number']}", {"state": "closed",
                                                                       "state_reason": "completed"})
            print(f"no drift: closed issue #{issue['number']}")
    else:
        raise Stop(f"the drift check's plan failed (exit {code}); the issue is left as it is")


def main(argv: list[str]) -> int:
    commands = {
        "gitlab-note": (gitlab_note, 1), "gitlab-fetch-plan": (gitlab_fetch_plan, 1),
        "gitlab-drift-issue": (gitlab_drift_issue, 2), "github-comment": (github_comment, 1),
        "github-fetch-plan": (github_fetch_plan, 1), "github-drift-issue": (github_drift_issue, 2),
    }
    if not argv or argv[0] not in commands or len(argv) - 1 != commands[argv[0]][1]:
        print(__doc__, file=sys.stderr)
        return 1
    run, _ = commands[argv[0]]
    args: list[Any] = list(argv[1:])
    if run in (gitlab_drift_issue, github_drift_issue):
        args[0] = int(args[0])
    try:
        run(*args)
    except Stop as stop:
        print(f"cmqinfra-ci: {stop}", file=sys.stderr)
        return stop.code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
