from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cmqinfra.manifest import LoadResult, load_stack

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def load(tmp_path: Path) -> Callable[..., LoadResult]:
    """Write manifest text to tmp files (name -> text) and load them as one stack."""

    def _load(text: str | None = None, **files: str) -> LoadResult:
        if text is not None:
            files = {"stack.yaml": text, **files}
        paths = []
        for name, body in files.items():
            path = tmp_path / name.replace("__", "/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body, encoding="utf-8")
            paths.append(path)
        return load_stack(paths)

    return _load


def messages(result: LoadResult) -> list[str]:
    return [d.message for d in result.diagnostics]
