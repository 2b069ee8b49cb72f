"""The collector pause around bulk loading restores exactly the state it found."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from cmqinfra.gcpause import collector_paused
from cmqinfra.manifest import load_stack


@pytest.fixture(autouse=True)
def _collector_restored():
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def test_pause_restores_an_enabled_collector_even_on_error() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_nested_pauses_restore_only_at_the_outermost() -> None:
    gc.enable()
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_loading_a_manifest_leaves_the_collector_on(tmp_path: Path) -> None:
    gc.enable()
    path = tmp_path / "stack.yaml"
    path.write_text("stack: shop\nqueues:\n  orders: {}\n")
    result = load_stack([path])
    assert result.stack is not None and [q.name for q in result.stack.queues] == ["orders"]
    assert gc.isenabled()


def test_what_a_pause_kept_goes_to_the_oldest_generation_unscanned() -> None:
    gc.enable()
    gc.collect()
    with collector_paused():
        kept = [{"n": [i]} for i in range(1000)]
    young = {id(o) for o in gc.get_objects(generation=0)}
    old = {id(o) for o in gc.get_objects(generation=2)}
    assert id(kept) not in young and id(kept[0]) not in young
    assert id(kept) in old and id(kept[0]) in old
    assert gc.get_freeze_count() == 0  # nothing is left frozen: full collections still see it


def test_objects_frozen_on_purpose_stay_frozen() -> None:
    gc.enable()
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_paused():
            kept = [[i] for i in range(10)]
        assert gc.get_freeze_count() == frozen and kept
    finally:
        gc.unfreeze()
