"""A real Mermaid renderer for the tests: @mermaid-js/mermaid-cli from .ci/install-mermaid.sh,
driving the system Chromium. One call renders every diagram of a markdown file (one browser)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MMDC = ROOT / ".ci/tools/mermaid/node_modules/.bin/mmdc"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def require_mmdc() -> Path:
    if not MMDC.exists():
        pytest.skip("mermaid-cli is not installed: run .ci/install-mermaid.sh")
    if not Path(CHROMIUM).exists():
        pytest.skip("no system Chromium for mermaid-cli to render with")
    return MMDC


def render(diagrams: list[str], workdir: Path) -> list[str]:
    """Each Mermaid source rendered to SVG by mermaid-cli; fails the test on any parse error."""
    mmdc = require_mmdc()
    source = workdir / "diagrams.md"
    source.write_text("".join(f"```mermaid\n{d}```\n\n" for d in diagrams), encoding="utf-8")
    config = workdir / "puppeteer.json"
    config.write_text(json.dumps({"args": ["--no-sandbox", "--disable-gpu"], "headless": "new"}))
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": CHROMIUM, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    out = workdir / "rendered.md"
    done = subprocess.run([str(mmdc), "-i", str(source), "-o", str(out), "-p", str(config), "-q"],
                          env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    svgs = sorted(workdir.glob("rendered-*.svg"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    assert len(svgs) == len(diagrams), (done.stdout, done.stderr)
    return [p.read_text(encoding="utf-8") for p in svgs]
