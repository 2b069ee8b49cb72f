"""An application team's local CMQ in its test suite: how long its tests wait for it.

    pip install -e '.[test,bench]'
    python benchmarks/localcmq.py [--tests 100] [--out benchmarks/results]

- Flow tests: ``cmqinfra test`` on N tests (the example orders stack's four flows, repeated
  under new names), one fresh process, wall time and CPU. Target: 100 tests in at most 2 s.
- The pytest plugin (``cmqinfra.testing``, from the local-CMQ work): a fresh state per test (its
  reset) at most 5 ms, and 100 tests that each apply a 3-resource stack and exchange one message
  in at most 3 s. Measured when the plugin is in this build; otherwise the row says so.

A target missed above ``--max-load`` (1-minute load average, 2 by default on 2 cores: these are
wall times of CPU-bound work) is "not judged"; one met under any load passes, since a load only
slows the work. Exit 1 when a judged target fails.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_STACK = REPO / "examples" / "orders.yaml"
EXAMPLE_TESTS = REPO / "examples" / "orders.cmqtest.yaml"
FLOW_SECONDS, RESET_MS, PLUGIN_SECONDS = 2.0, 5.0, 3.0
MAX_LOAD = 2.0


@dataclass(frozen=True)
class Figure:
    name: str
    value: float | None  # None: not measured in this build
    unit: str
    target: float
    detail: str
    load_average: float

    def verdict(self, max_load: float) -> tuple[bool | None, str]:
        if self.value is None:
            return None, self.detail
        met = self.value <= self.target
        if not met and self.load_average > max_load:  # a load only slows: a pass under it stands
            return None, f"not judged: load average {self.load_average:.1f} above {max_load:g}; {self.detail}"
        return met, self.detail


def write_flow_tests(directory: Path, count: int) -> Path:
    """``count`` flow tests over the example stack: its flows, repeated under new names."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / EXAMPLE_STACK.name).write_text(EXAMPLE_STACK.read_text(encoding="utf-8"), encoding="utf-8")
    head, body = EXAMPLE_TESTS.read_text(encoding="utf-8").split("tests:\n", 1)
    flows = re.split(r"\n(?=  - name: )", body.strip("\n"))
    chosen = [flows[i % len(flows)].replace("  - name: ", f"  - name: flow {i} - ", 1) for i in range(count)]
    path = directory / EXAMPLE_TESTS.name
    path.write_text(head + "tests:\n" + "\n".join(chosen) + "\n", encoding="utf-8")
    return path


def run_flow_tests(count: int) -> Figure:
    with tempfile.TemporaryDirectory(prefix="cmqinfra-flow-") as tmp:
        work = Path(tmp)
        write_flow_tests(work, count)
        cmqinfra = str(Path(sys.executable).parent / "cmqinfra")
        began = time.perf_counter()
        before = os.times()
        done = subprocess.run([cmqinfra, "test", "."], cwd=work, capture_output=True, text=True)
        wall = time.perf_counter() - began
        after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    if done.returncode != 0 or f"{count} passed" not in summary:
        raise RuntimeError(f"cmqinfra test did not pass: {summary}")
    return Figure(
        f"{count} flow tests (`cmqinfra test`, one process)",
        wall,
        "s",
        FLOW_SECONDS * count / 100,
        f"{wall:.2f} s wall, {cpu:.2f} s CPU ({summary})",
        os.getloadavg()[0],
    )


def plugin_figures() -> list[Figure]:
    """The pytest plugin's reset and a suite of its tests, when the plugin is in this build."""
    load = os.getloadavg()[0]
    if importlib.util.find_spec("cmqinfra.testing") is None:
        missing = "not measured: the pytest plugin (cmqinfra.testing) is not in this build"
        return [
            Figure("a fresh state for a test (the plugin's reset)", None, "ms", RESET_MS, missing, load),
            Figure("100 plugin tests, each a 3-resource stack and one message", None, "s", PLUGIN_SECONDS,
                   missing, load),
        ]
    raise NotImplementedError("the plugin is present: measure it")  # pragma: no cover


def markdown(figures: Sequence[Figure], command: str, max_load: float) -> str:
    word = {True: "PASS", False: "FAIL", None: "NOT JUDGED"}
    lines = [
        f"`{command}` (2 cores; judged at a load average of {max_load:g} or less)",
        "",
        "| figure | measured | target | result | load avg |",
        "| --- | ---: | ---: | --- | ---: |",
    ]
    for f in figures:
        passed, why = f.verdict(max_load)
        shown = "-" if f.value is None else (f"{f.value:.2f} s" if f.unit == "s" else f"{f.value:.1f} ms")
        target = f"<= {f.target:g} {f.unit}"
        lines.append(f"| {f.name} | {shown} | {target} | {word[passed]} ({why}) | {f.load_average:.1f} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tests", type=int, default=100)
    parser.add_argument("--max-load", type=float, default=MAX_LOAD)
    parser.add_argument("--out", type=Path, default=None, help="write localcmq.md and localcmq.json here")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    from benchmarks.startup import compile_package

    compile_package()
    figures = [run_flow_tests(args.tests), *plugin_figures()]
    command = "python benchmarks/localcmq.py " + " ".join(sys.argv[1:] if argv is None else argv)
    text = markdown(figures, command.strip(), args.max_load)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "localcmq.md").write_text(text, encoding="utf-8")
        raw = json.dumps([asdict(f) for f in figures], indent=2)
        (args.out / "localcmq.json").write_text(raw, encoding="utf-8")
    return 1 if any(f.verdict(args.max_load)[0] is False for f in figures) else 0


if __name__ == "__main__":
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    sys.exit(main())
