"""Run the emulator in its own process, so its CPU time never counts as cmqinfra's local work.

``python -m benchmarks.emulator_process DATA RATE_SCALE LATENCY`` prints one line
``listening on URL`` and serves until its stdin closes.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class EmulatorProcess:
    process: subprocess.Popen[str]
    url: str

    @property
    def endpoint(self) -> str:
        """host:port, as HttpProfile(endpoint=...) wants it."""
        return self.url.removeprefix("http://")

    @classmethod
    def start(cls, data: Path, rate_scale: float, latency: float) -> EmulatorProcess:
        process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.emulator_process", str(data), str(rate_scale), str(latency)],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("listening on "):
            process.kill()
            raise RuntimeError(f"the emulator did not start (said {line!r})")
        return cls(process, line.removeprefix("listening on "))

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def main(argv: list[str]) -> None:
    from cmqinfra.emulator import Emulator, Faults

    data, rate_scale, latency = Path(argv[0]), float(argv[1]), float(argv[2])
    emulator = Emulator.start(
        data, port=0, rate_limits=True, rate_scale=rate_scale, faults=Faults(latency=latency)
    )
    print(f"listening on {emulator.url}", flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or dies)
    emulator.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
