"""route and test in project mode: on the stack as one environment sees it (its variables)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import cmq, write

FILES = {
    "cmqinfra.yaml": """
        version: 1
        variables:
          keys: {type: list}
        environments:
          dev: {nameSuffix: -dev, values: {keys: ["order.#"]}}
          prod: {values: {keys: ["order.*.created"]}}
        stacks:
          search: {path: stacks/search}
        """,
    "stacks/search/search.yaml": """
        stack: search
        queues:
          index: {}
        topics:
          events:
            filterType: routingKey
            subscriptions:
              indexer: {protocol: queue, endpoint: index, bindingKeys: "${var.keys}"}
        """,
    "stacks/search/search.cmqtest.yaml": """
        tests:
          - name: a paid order reaches the index
            steps:
              - publish: {topic: events, message: "paid", routingKey: order.1.paid}
              - expect: {message: "paid", in: [index]}
        """,
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, FILES)
    return tmp_path


def test_route_uses_the_environment_s_values(project: Path) -> None:
    code, out, err = cmq(project, "route", "--stack", "search", "--env", "dev", "events",
                         "--routing-key", "order.1.paid", "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["topic"] == "events-dev"
    assert [s["name"] for s in doc["subscriptions"] if s["receives"]] == ["indexer"]
    code, out, err = cmq(project, "route", "--stack", "search", "--env", "prod", "events",
                         "--routing-key", "order.1.paid", "--format", "json")
    assert code == 0, err
    assert [s["name"] for s in json.loads(out)["subscriptions"] if s["receives"]] == []


def test_route_names_what_is_missing(project: Path) -> None:
    code, _, err = cmq(project, "route", "--stack", "search", "events", "--routing-key", "k")
    assert code == 1
    assert "2 stacks are selected (search[dev], search[prod]): name one with --stack and --env" in err
    code, _, err = cmq(project, "route", "stacks/search", "events", "--routing-key", "k")
    assert code == 1 and "stacks/search belongs to the project in cmqinfra.yaml; use --stack search" in err


def test_flow_tests_run_in_every_environment_with_its_values(project: Path) -> None:
    code, out, err = cmq(project, "test")
    assert code == 1, out + err  # prod's binding key does not match a paid order
    assert "PASS  " in out and "search[dev]: a paid order reaches the index" in out
    assert "FAIL  stacks/search/search.cmqtest.yaml:1  search[prod]: (test file checks)" in out
    # the expectation prod's manifest cannot satisfy is named at its line, with the reason
    assert ("stacks/search/search.cmqtest.yaml:5:40: error: queue 'index' cannot receive this message" in err
            and 'binding key "order.*.created" does not match "order.1.paid"' in err)
    code, out, err = cmq(project, "test", "--env", "dev")
    assert code == 0, out + err
    assert "1 passed, 0 failed" in out
