"""PyYAML, imported through here so that its reader's one costly regular expression is compiled
from a cheaper spelling of the same character class.

``yaml.reader.Reader`` compiles, when PyYAML is imported, the class of characters a YAML stream
may not hold, written as the complement of the printable ones. Python's ``re`` compiler walks a
character range one code point at a time, so that spelling costs it some 63,000 steps (about 55 M
instructions, 5% of a whole `plan --local`); the same class spelled by what it holds costs about
2,000. ``re.compile`` answers from its cache when it has compiled the same text before, so the
cheaper pattern is put there under PyYAML's text first: PyYAML then checks a stream against
exactly the same characters (``tests/test_startup.py`` compares the two on every code point).
Where ``re`` keeps no such cache, or PyYAML spells its pattern otherwise, PyYAML compiles its own.
"""

from __future__ import annotations

import re
import sys

# yaml/reader.py, Reader.NON_PRINTABLE (PyYAML 5.1 to 6.0.x): what a stream may not contain
PYYAML_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"
# the same characters, listed: controls, C1 controls but NEL, surrogates, U+FFFE and U+FFFF
NON_PRINTABLE = "[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uD800-\uDFFF\uFFFE\uFFFF]"


def _compiled_ahead() -> None:
    cache = getattr(re, "_cache", None)
    if "yaml.reader" in sys.modules or not isinstance(cache, dict):
        return
    cache.setdefault((str, PYYAML_NON_PRINTABLE, 0), re.compile(NON_PRINTABLE))


_compiled_ahead()

import yaml  # noqa: E402  (after the cache holds the cheaper pattern)

__all__ = ["NON_PRINTABLE", "PYYAML_NON_PRINTABLE", "yaml"]
