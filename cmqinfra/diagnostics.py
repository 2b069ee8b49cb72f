"""Diagnostics are data: a location, a severity, a message and an optional hint.

Rendered compiler style (``file:line:col: error: message``) for people and as JSON for tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cmqinfra.model import SourceLocation


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    message: str
    location: SourceLocation | None = None
    severity: Severity = Severity.ERROR
    hint: str | None = None
    policy: str | None = None  # the id of the project policy this reports on, if any
    waived: bool = False  # a policy violation an exception declared next to the resource waives

    def render(self) -> str:
        """One line: file names, messages and hints carry repository text, so every control
        character (newline, tab, ESC) is shown escaped and cannot split or rewrite the output."""
        from cmqinfra.render.escape import terminal

        where = f"{self.location}: " if self.location else ""
        hint = f" (hint: {self.hint})" if self.hint else ""
        return terminal(f"{where}{self.severity.value}: {self.message}{hint}")

    def to_json(self) -> dict[str, object]:
        loc = self.location
        extra: dict[str, object] = {"policy": self.policy, "waived": self.waived} if self.policy else {}
        return extra | {
            "file": loc.file if loc else None,
            "line": loc.line if loc else None,
            "column": loc.column if loc else None,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }
