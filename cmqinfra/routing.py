"""How a published topic message reaches subscriptions: the two CMQ matching rules, pure.

Tag topics (FilterType 1): a subscription without filter tags receives every message; one with
filter tags receives a message only when the message's tags intersect them (so a message without
tags reaches none of them). Routing topics (FilterType 2): the message carries one routing key and
a subscription receives it when any of its binding keys matches, where words are separated by
dots, ``*`` stands for exactly one word and ``#`` for zero or more words.

Used by the emulator's PublishCmqMsg and by the offline ``cmqinfra route`` command.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache


def filter_tags_match(filter_tags: Iterable[str] | None, msg_tags: Iterable[str] | None) -> bool:
    """True when a subscription with ``filter_tags`` receives a message tagged ``msg_tags``."""
    wanted = set(filter_tags or ())
    if not wanted:
        return True
    return not wanted.isdisjoint(msg_tags or ())


def _words(key: str) -> tuple[str, ...]:
    # An empty key has no words at all (so it matches "#" but not "*").
    return tuple(key.split(".")) if key else ()


def binding_key_matches(binding_key: str, routing_key: str) -> bool:
    """True when ``routing_key`` matches ``binding_key`` (``*`` one word, ``#`` zero or more)."""
    return _match(_words(binding_key), _words(routing_key))


@lru_cache(maxsize=4096)
def _match(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    # Iterative dynamic programme over (pattern position, word position): linear memory,
    # no recursion depth issues even for keys with many "#".
    reachable = {0}
    for token in pattern:
        following: set[int] = set()
        for position in reachable:
            if token == "#":
                following.update(range(position, len(words) + 1))
            elif position < len(words) and (token == "*" or token == words[position]):
                following.add(position + 1)
        if not following:
            return False
        reachable = following
    return len(words) in reachable


def binding_keys_match(binding_keys: Sequence[str] | None, routing_key: str) -> bool:
    """True when any of a subscription's binding keys matches the message's routing key."""
    return any(binding_key_matches(key, routing_key) for key in binding_keys or ())
