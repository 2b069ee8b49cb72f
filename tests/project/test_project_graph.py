"""``cmqinfra graph`` and the plan diagram in project mode: every stack x environment a group,
--stack / --env, live counts from each environment's emulator, one diagram in the one comment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cmq.account import Account
from cmq.queue import Message as QueueMessage
from helpers import cmq

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator
from cmqinfra.render.markdown import GITHUB_COMMENT_LIMIT

UNITS = ("payments[dev]", "payments[prod]", "orders[dev]", "orders[prod]", "audit[prod]")


def test_graph_of_the_whole_project_and_of_one_unit(repo: Path) -> None:
    code, out, err = cmq(repo, "graph")
    assert code == 0, err
    for key in UNITS:
        assert f'["stack {key.replace("[", "#91;").replace("]", "#93;")}"]' in out
    assert 'queue payments-dev' in out and 'http http://127.0.0.1:9/prod' in out
    code, out, err = cmq(repo, "graph", "--stack", "payments", "--env", "prod", "--format", "dot")
    assert code == 0, err
    assert out.count("subgraph cluster_") == 1 and 'label="stack payments[prod]"' in out
    assert 'label="dead letter after 3 receives", style=dashed' in out
    code, _, err = cmq(repo, "graph", "--env", "staging")
    assert code == 1 and "no environment named 'staging'" in err


def test_live_counts_per_environment(
    repo: Path, emulators: dict[str, Emulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)  # the CMQ SDK writes its log into the working directory
    assert cmq(repo, "apply", "--auto-approve")[0] == 0
    queue = Account(emulators["dev"].url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY).get_queue("payments-dev")
    queue.send_message(QueueMessage("one"))
    queue.send_message(QueueMessage("two"), 60)
    code, out, err = cmq(repo, "graph", "--live", "--stack", "payments")
    assert code == 0, err
    assert "queue payments-dev (2 active" not in out  # one of them is delayed
    assert "queue payments-dev (1 active, 0 in flight, 1 delayed)" in out
    assert "queue payments (0 active, 0 in flight, 0 delayed)" in out  # prod, on its own emulator


def test_one_diagram_of_every_unit_in_the_project_comment(repo: Path) -> None:
    assert cmq(repo, "apply", "--auto-approve")[0] == 0
    orders = repo / "stacks/orders/orders.yaml"
    orders.write_text(orders.read_text().replace("      webhook:", "      hook-gone: {protocol: queue, "
                                                 "endpoint: orders}\n      webhook-old:"), encoding="utf-8")
    code, out, err = cmq(repo, "plan", "--format", "markdown")
    assert code == 0, err
    assert len(out) <= GITHUB_COMMENT_LIMIT
    assert out.index("| stack |") < out.index("```mermaid") < out.index("<details><summary><code>")
    [block] = re.findall(r"```mermaid\n(.*?)```", out, flags=re.S)
    assert "orders#91;dev#93;" in block and "orders#91;prod#93;" in block
    assert "payments" not in block  # no change there
    deleted = re.findall(r"linkStyle \d+ stroke:#cf222e", block)
    created = re.findall(r"linkStyle \d+ stroke:#1a7f37", block)
    assert (len(deleted), len(created)) == (2, 4)  # in each environment: webhook gone, two new
