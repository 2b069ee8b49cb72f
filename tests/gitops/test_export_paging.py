"""Listing every name, 50 a page."""

from __future__ import annotations

from cmqinfra.export.inventory import PAGE_SIZE, list_all


def pages_of(names: list[str], calls: list[tuple[int, int]]):  # type: ignore[no-untyped-def]
    def read(offset: int, limit: int) -> tuple[int, list[str]]:
        calls.append((offset, limit))
        return len(names), names[offset:offset + limit]

    return read


def test_reads_every_page_of_fifty() -> None:
    names = [f"q{i:03d}" for i in range(123)]
    calls: list[tuple[int, int]] = []
    assert list_all(pages_of(names, calls)) == tuple(names)
    assert calls == [(0, PAGE_SIZE), (50, PAGE_SIZE), (100, PAGE_SIZE)]


def test_empty_account_is_one_call() -> None:
    calls: list[tuple[int, int]] = []
    assert list_all(pages_of([], calls)) == ()
    assert calls == [(0, PAGE_SIZE)]


def test_a_short_page_before_the_total_ends_the_listing_without_looping() -> None:
    calls: list[tuple[int, int]] = []

    def read(offset: int, limit: int) -> tuple[int, list[str]]:
        calls.append((offset, limit))
        return 80, (["a", "b"] if offset == 0 else [])

    assert list_all(read) == ("a", "b")
    assert len(calls) == 2
