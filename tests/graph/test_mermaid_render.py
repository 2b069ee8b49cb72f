"""The Mermaid that cmqinfra writes, parsed and drawn by Mermaid itself (mermaid-cli, Chromium)."""

from __future__ import annotations

import re
from pathlib import Path

from cmqinfra.graph.build import Part, topology
from cmqinfra.graph.collapse import collapse
from cmqinfra.graph.mermaid import to_mermaid
from cmqinfra.graph.sources import project_parts
from tests.graph.hostile import HOSTILE_STACK, hostile_stack
from tests.graph.mermaid_cli import render
from tests.graph.test_topology import fan_out

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_mermaid_cli_draws_the_project_a_collapsed_fan_out_and_hostile_names(tmp_path: Path) -> None:
    project = to_mermaid(topology(project_parts(str(EXAMPLES / "project"), (), (), None)))
    wide = to_mermaid(collapse(topology([Part("wide", fan_out(50))]), 12))
    hostile = to_mermaid(topology([Part(HOSTILE_STACK, hostile_stack())]), legend=True)
    svgs = render([project, wide, hostile], tmp_path)
    text = [re.sub(r"<[^>]+>", " ", svg) for svg in svgs]
    assert "orders[prod]" in text[0] and "https://orders.example.com/events" in text[0]
    assert "39 more subscriptions" in text[1]
    # The hostile names are drawn as text: escaped in the SVG, never markup or script.
    assert "<img" not in svgs[2] and "<script" not in svgs[2]
    assert "alert(2)" in text[2] and "alert(4)" in text[2]
