"""The policy block at the top of a pull-request comment: every unit's policy violations and
waivers in one place, before the plans, so a reviewer sees them first.

The diagnostics are the plans' own (``Diagnostic.policy`` set by ``cmqinfra.policy.check``);
this only gathers them. Everything is escaped by ``cmqinfra.render.escape``, the one layer.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.render import escape


def policy_lines(units: Sequence[tuple[str, Iterable[Diagnostic]]]) -> list[str]:
    """Markdown lines for (unit key, diagnostics) pairs; none when no policy has anything to say."""
    violations: list[str] = []
    waivers: list[str] = []
    for key, diagnostics in units:
        for d in diagnostics:
            if d.policy is None:
                continue
            shown = escape.code(d.render())
            line = f"- **{escape.text(key)}**: {shown}" if key else f"- {shown}"
            (waivers if d.waived else violations).append(line)
    if not violations and not waivers:
        return []
    out = ["### Policy", ""]
    if violations:
        out += [f"{len(violations)} policy violation(s):", "", *violations, ""]
    if waivers:
        out += [f"{len(waivers)} exception(s) declared in the manifests, with their reasons:", ""]
        out += [*waivers, ""]
    return out
