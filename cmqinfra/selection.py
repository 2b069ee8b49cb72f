"""Which units of a project a run covers: the value --project, --stack, --env and --changed-since
make (light to import: a command given manifest PATHs loads no project machinery)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Selection:
    root: str
    stacks: tuple[str, ...]
    environments: tuple[str, ...]
    changed_since: str | None

    @property
    def given(self) -> bool:
        return bool(self.stacks or self.environments or self.changed_since or self.root != ".")
