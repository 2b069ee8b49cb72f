from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator
from tests.review.helpers import CallLog, clean_environment, start


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    clean_environment(monkeypatch, home)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    yield from start(tmp_path / "emu.sqlite3")


@pytest.fixture
def calls(emu: Emulator) -> CallLog:
    return CallLog(emu)
