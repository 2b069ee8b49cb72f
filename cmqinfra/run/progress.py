"""Progress of an apply, as plain lines a person can follow and a log search can find.

Each finished step is one line with a ``[n/N]`` counter; a step still running after
``SLOW_AFTER`` seconds gets a ``still creating... 10s elapsed`` line (and another every
``SLOW_AFTER`` seconds); the caller prints the summary with the elapsed time. Lines only, no
cursor tricks, so logs without a terminal (CI, NO_COLOR) read the same as a terminal does; a
live progress bar (rich and the like) would only redraw what these lines already say, and would
need a second, plain mode for logs anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cmqinfra.plan.order import Step
from cmqinfra.plan.values import Action
from cmqinfra.run.executor import StepResult

SLOW_AFTER = 10.0  # seconds before a running step is reported as still running
TICK = 0.5  # how often running steps are looked at


def _doing(step: Step) -> str:
    if step.phase == "delete":
        return "destroying"
    return {
        Action.CREATE: "creating",
        Action.REPLACE: "creating",
        Action.UPDATE: "modifying",
        Action.ADOPT: "adopting",
    }.get(step.change.action, "working")


class Progress:
    """Counts finished steps out of ``total`` and reports slow ones from a watcher thread."""

    def __init__(self, total: int, out: Callable[[str, bool], None], slow_after: float | None = None) -> None:
        self.total = total
        self._out = out  # (line, is_error)
        self._slow_after = SLOW_AFTER if slow_after is None else slow_after
        self._done = 0
        self._lock = threading.Lock()
        # by (unit label, step key): the steps of many units (a project) share one counter
        self._running: dict[tuple[str, tuple[str, str]], tuple[Step, float, int]] = {}
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="cmqinfra-progress", daemon=True)
        self.started_at = time.monotonic()

    def __enter__(self) -> Progress:
        self._watcher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._watcher.join(timeout=2)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started_at

    def started(self, step: Step, unit: str = "") -> None:
        """``unit``: the unit's name in a run of many (``payments[prod]``), shown before each address."""
        with self._lock:
            self._running[(unit, step.key)] = (step, time.monotonic(), 0)

    def finished(self, result: StepResult, unit: str = "") -> None:
        with self._lock:
            self._done += 1
            n = self._done
            for key in [k for k, (s, _, _) in self._running.items()
                        if k[0] == unit and s.change.address == result.address]:
                if self._running[key][0].phase == result.phase:
                    del self._running[key]
        counter = f"[{n}/{self.total}]"
        where = f"{unit}: {result.address}" if unit else result.address
        if result.ok:
            self._out(f"{counter} {where}: {result.verb} ({result.seconds:.2f}s)", False)
        else:
            self._out(f"{counter} {where}: FAILED ({result.seconds:.2f}s): {result.error}", True)

    def _watch(self) -> None:
        while not self._stop.wait(min(TICK, self._slow_after)):
            now = time.monotonic()
            notes = []
            with self._lock:
                for key, (step, since, told) in list(self._running.items()):
                    due = (told + 1) * self._slow_after
                    if now - since >= due:
                        self._running[key] = (step, since, told + 1)
                        shown = f"{due:.0f}" if due >= 1 else f"{due:.1f}"
                        where = f"{key[0]}: {step.change.address}" if key[0] else step.change.address
                        notes.append(f"{where}: still {_doing(step)}... {shown}s elapsed")
            for note in notes:
                self._out(note, False)
