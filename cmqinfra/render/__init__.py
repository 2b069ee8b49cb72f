"""Views of a Plan: text for people, JSON for tools (and markdown for pull requests).
Renderers decide nothing; they print the values they are given."""

from __future__ import annotations

import os
import sys
from typing import TextIO


def use_colour(stream: TextIO | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    if "NO_COLOR" in os.environ:
        return False
    stream = stream if stream is not None else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
