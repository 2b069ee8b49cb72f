"""`cmqinfra graph` on the example project: the DOT parses, and the SVG opens in Chromium with every
network request refused (nothing but the file itself is ever asked for)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydot

from tests.gitops.cli_helpers import EXAMPLES, run

PROJECT = str(EXAMPLES / "project")


def test_the_example_project_as_dot_and_as_an_svg_that_needs_no_network(page: Any, tmp_path: Path) -> None:
    dot = run("graph", "--project", PROJECT, "--format", "dot")
    assert dot.code == 0, dot.stderr
    [parsed] = pydot.graph_from_dot_data(dot.stdout)
    assert len(parsed.get_subgraphs()) == 5 and len(parsed.get_edges()) == 6
    svg = tmp_path / "project.svg"
    assert run("graph", "--project", PROJECT, "--format", "svg", "--out", str(svg)).code == 0
    asked: list[str] = []

    def refuse_the_network(route: Any) -> None:
        asked.append(route.request.url)
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", refuse_the_network)
    page.goto(svg.as_uri())
    labels = page.locator("text")
    assert "stack payments[prod]" in labels.all_text_contents()
    assert page.evaluate("document.documentElement.getBBox().width") > 600
    assert asked == [svg.as_uri()]
