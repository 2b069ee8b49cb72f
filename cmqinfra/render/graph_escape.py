"""Escapes for the graph drawings: Mermaid labels, DOT strings, SVG/XML text and attributes.

Beside ``escape.py`` (the one escaping layer, whose ``terminal`` and ``html`` rules these reuse).
Every name in a drawing comes from a repository (untrusted): a queue, topic or stack name, an
http URL, a binding key. Identifiers are never made from them (renderers number their nodes);
names only ever appear inside labels, escaped here for the one context they land in.
"""

from __future__ import annotations

import re

from cmqinfra.render import escape

# Characters that mean nothing to any of the three syntaxes: kept as they are.
_MERMAID_PLAIN = re.compile(r"[A-Za-z0-9 _.,:/()+=@*-]")
MAX_LABEL = 120


def clip(text: str, limit: int = MAX_LABEL) -> str:
    """One line, control characters shown as escapes (the one rule of escape.terminal), at most
    ``limit`` characters (with an ellipsis)."""
    flat = escape.terminal(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def mermaid_label(text: str) -> str:
    """A Mermaid label body to put between double quotes: every character outside a plain set
    becomes Mermaid's entity code ``#NNN;``, so quotes, brackets, pipes, ``-->``, ``%%``, ``#``,
    backticks and HTML cannot end the label, start a comment, or become markup."""
    return "".join(c if _MERMAID_PLAIN.fullmatch(c) else f"#{ord(c)};" for c in clip(text))


def dot_string(text: str) -> str:
    """A DOT double-quoted string's body: backslash (DOT's own escapes such as ``\\N``) and the
    quote escaped; newlines cannot occur (clipped to one line)."""
    return clip(text).replace("\\", "\\\\").replace('"', '\\"')


def xml_text(text: str) -> str:
    """Text or attribute content in SVG/XML: the five markup characters as entities and no
    character XML 1.0 forbids."""
    return escape.html(clip(text))
