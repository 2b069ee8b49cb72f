"""The topology value and its three drawings, on real manifests and on hostile names."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pydot
import pytest

from cmqinfra.graph.build import Part, topology
from cmqinfra.graph.collapse import collapse
from cmqinfra.graph.dot import to_dot
from cmqinfra.graph.mermaid import to_mermaid
from cmqinfra.graph.svg import to_svg
from cmqinfra.manifest import load_stack
from cmqinfra.model import FilterType, Protocol, Queue, Stack, Subscription, Topic
from cmqinfra.render.graph_escape import clip
from tests.graph.hostile import (
    HOSTILE_KEY,
    HOSTILE_QUEUE,
    HOSTILE_STACK,
    HOSTILE_TOPIC,
    HOSTILE_URL,
    hostile_stack,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SVG = "{http://www.w3.org/2000/svg}"


def example(name: str) -> Stack:
    stack = load_stack([EXAMPLES / name]).stack
    assert stack is not None
    return stack


def test_topics_fan_out_through_filtered_subscriptions_and_queues_dead_letter() -> None:
    parts = [Part("orders", example("orders.yaml")), Part("order-events", example("order-events.yaml"))]
    graph = topology(parts)
    edges = {(graph.node(e.source).name, graph.node(e.target).name, e.kind, e.label) for e in graph.edges}
    assert ("order-events", "billing", "subscription", "billing: order.*.created, order.*.refunded") in edges
    assert ("order-events", "analytics", "subscription", "analytics: order.#") in edges
    assert ("orders", "orders-deadletter", "dead-letter", "dead letter after 3 receives") in edges
    assert graph.groups == ("orders", "order-events")
    assert {n.group for n in graph.nodes if n.name == "billing"} == {"order-events"}


def test_a_queue_no_drawn_stack_declares_is_drawn_apart_and_says_so() -> None:
    stack = Stack(name="s", topics=(Topic("t"),),
                  subscriptions=(Subscription("t", "a", Protocol.QUEUE, "elsewhere", filter_tags=("x",)),))
    graph = topology([Part("s", stack)])
    [queue] = [n for n in graph.nodes if n.kind == "queue"]
    assert (queue.group, queue.detail) == ("", "not declared")
    assert graph.edges[0].label == "a: tags x"


def test_a_queue_of_another_stack_is_found_in_the_same_environment() -> None:
    consumer = Stack(name="c", topics=(Topic("t"),),
                     subscriptions=(Subscription("t", "s", Protocol.QUEUE, "shared"),))
    owner = Stack(name="o", queues=(Queue("shared"),))
    graph = topology([Part("o[dev]", owner), Part("o[prod]", owner), Part("c[prod]", consumer)])
    [edge] = graph.edges
    assert edge.target == "queue:o[prod]:shared"


def fan_out(n: int) -> Stack:
    return Stack(
        name="wide",
        queues=tuple(Queue(f"q{i:03}") for i in range(n)),
        topics=(Topic("news", filter_type=FilterType.ROUTING_KEY),),
        subscriptions=tuple(Subscription("news", f"s{i:03}", Protocol.QUEUE, f"q{i:03}", binding_keys=("#",))
                            for i in range(n)),
    )


def test_a_fan_out_past_the_threshold_collapses_into_one_node_and_a_note() -> None:
    graph = collapse(topology([Part("wide", fan_out(40))]), max_fanout=10)
    out = [e for e in graph.edges if graph.node(e.source).name == "news"]
    assert len(out) == 10
    [more] = [n for n in graph.nodes if n.kind == "more"]
    assert more.name == "31 more subscriptions"
    assert graph.notes == ("topic news: 31 of 40 subscriptions collapsed (more than 10)",)
    assert len([n for n in graph.nodes if n.kind == "queue"]) == 9  # the collapsed queues went too
    assert collapse(topology([Part("wide", fan_out(10))]), max_fanout=10).notes == ()


def _labels(mermaid: str) -> list[str]:
    return re.findall(r'"([^"]*)"', mermaid)


def test_mermaid_keeps_hostile_names_inside_their_labels() -> None:
    text = to_mermaid(topology([Part(HOSTILE_STACK, hostile_stack())]))
    for label in _labels(text):
        assert not set(label) & set("<>[]{}|`%\n"), label
    structure = re.sub(r'"[^"]*"', '""', text)
    # Outside the quoted labels only numbered ids, shapes and arrows remain.
    assert "alert" not in structure and "click" not in structure and "%%" not in structure
    assert structure.count("-->") == 2 and structure.count(".->") == 1
    assert "<" not in text and "%%" not in text


def test_dot_keeps_hostile_names_inside_their_labels() -> None:
    text = to_dot(topology([Part(HOSTILE_STACK, hostile_stack())]))
    [parsed] = pydot.graph_from_dot_data(text)
    labels = set()
    for sub in [parsed, *parsed.get_subgraphs()]:
        for node in sub.get_nodes():
            if node.get("label"):
                labels.add(node.get("label"))
    edges = parsed.get_edges()
    assert len(edges) == 3
    ends = {e.get_source() for e in edges} | {e.get_destination() for e in edges}
    assert ends <= {f"n{i}" for i in range(9)}
    unquoted = {label[1:-1].replace('\\"', '"').replace("\\\\", "\\") for label in labels}
    assert f"queue {clip(HOSTILE_QUEUE)}" in unquoted
    assert f"http {HOSTILE_URL}" in unquoted  # \N and \G are literal text, not DOT's escapes
    assert "queue ends in a backslash \\" in unquoted
    assert "\\\\N\\\\G" in text  # in the source: each backslash doubled


def test_svg_is_well_formed_self_contained_and_shows_hostile_names_as_text() -> None:
    text = to_svg(topology([Part(HOSTILE_STACK, hostile_stack())]))
    root = ET.fromstring(text.split("\n", 1)[1])
    tags = {el.tag.replace(SVG, "") for el in root.iter()}
    assert tags <= {"svg", "title", "style", "defs", "marker", "path", "rect", "g", "text"}
    for el in root.iter():
        for name, value in el.attrib.items():
            assert not name.startswith("on"), name
            if "href" in name or "url(" in value:
                assert value == "url(#arrow)"
    texts = ["".join(el.itertext()) for el in root.iter(f"{SVG}title")]
    assert any(HOSTILE_KEY[:40] in t for t in texts)
    assert any(clip(HOSTILE_TOPIC) in t for t in texts)
    others = text.replace(HOSTILE_URL.split('"')[0], "").replace("http://www.w3.org/2000/svg", "")
    assert "http://" not in others  # nothing fetched from anywhere


@pytest.mark.parametrize("drawer", [to_mermaid, to_dot, to_svg])
def test_every_drawing_of_a_large_collapsed_graph_stays_small(drawer) -> None:  # type: ignore[no-untyped-def]
    text = drawer(collapse(topology([Part("wide", fan_out(2000))]), max_fanout=12))
    assert len(text) < 20_000
