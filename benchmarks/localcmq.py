"""An application team's local CMQ in its test suite: how long its tests wait for it.

    pip install -e '.[test,bench]'
    python benchmarks/localcmq.py [--tests 100] [--out benchmarks/results]

- Flow tests: ``cmqinfra test`` on N tests (the example orders stack's four flows, repeated
  under new names), one fresh process, wall time and CPU. Target: 100 tests in at most 2 s.
- The pytest plugin (``cmqinfra.testing``): a fresh state per test (``reset``, the median of 200,
  each after a send) at most 5 ms; and N tests (one pytest process, the plugin's ``cmq`` fixture)
  on a 3-resource stack (a queue, a topic, a subscription) that each send, receive and delete one
  message through the CMQ SDK, 100 in at most 3 s: once with every test applying the stack itself
  (``cmq.apply``), once with the stack named in pytest.ini (applied once, every test starts
  from it).

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
    # a flow with cases runs once per case: at least ``count`` results, none failed
    if done.returncode != 0 or ", 0 failed" not in summary:
        raise RuntimeError(f"cmqinfra test did not pass: {summary}")
    return Figure(
        f"{count} flow tests (`cmqinfra test`, one process)",
        wall,
        "s",
        FLOW_SECONDS * count / 100,
        f"{wall:.2f} s wall, {cpu:.2f} s CPU ({summary})",
        os.getloadavg()[0],
    )


STACK = """stack: bench
queues:
  inbox: {}
topics:
  events:
    subscriptions:
      to-inbox: {protocol: queue, endpoint: inbox}
"""

PLUGIN_TEST = """
def test_exchange_{index}(cmq):
    from cmq.account import Account
    from cmq.queue import Message
{apply}
    account = Account(cmq.endpoint, cmq.secret_id, cmq.secret_key)
    account.close_log()
    queue = account.get_queue("inbox")
    queue.send_message(Message("hello {index}"))
    got = queue.receive_message(0)
    assert got.msgBody == "hello {index}"
    queue.delete_message(got.receiptHandle)
"""
APPLY_IN_TEST = '    cmq.apply("stack.yaml")'


def write_plugin_suite(directory: Path, count: int, apply_in_each: bool = True) -> None:
    """``count`` tests on the plugin's ``cmq`` fixture, each sending, receiving and deleting one
    message through the CMQ SDK on the 3-resource stack (a queue, a topic, a subscription): applied
    by each test (``apply_in_each``), or named once in pytest.ini, which every test starts from."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "stack.yaml").write_text(STACK, encoding="utf-8")
    ini = "[pytest]\n" + ("" if apply_in_each else "cmqinfra_manifests = stack.yaml\n")
    (directory / "pytest.ini").write_text(ini, encoding="utf-8")
    apply = APPLY_IN_TEST if apply_in_each else ""
    body = "".join(PLUGIN_TEST.format(index=i, apply=apply) for i in range(count))
    (directory / "test_exchange.py").write_text(body, encoding="utf-8")


def run_plugin_suite(count: int, apply_in_each: bool) -> Figure:
    """One pytest process over the suite, as a team runs it: bytecode and pytest's rewritten test
    modules cached by a first run (PYTHONDONTWRITEBYTECODE unset), hypothesis's plugin (installed
    here for cmqinfra's own tests, not the application's) left out."""
    with tempfile.TemporaryDirectory(prefix="cmqinfra-plugin-") as tmp:
        work = Path(tmp)
        write_plugin_suite(work, count, apply_in_each)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE") and "proxy" not in k.lower()
        }
        argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"]
        subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)  # warms the caches
        began = time.perf_counter()
        before = os.times()
        done = subprocess.run(argv, cwd=work, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - began
        after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    if done.returncode != 0 or f"{count} passed" not in summary:
        raise RuntimeError(f"the plugin suite did not pass: {done.stdout[-2000:]}{done.stderr[-1000:]}")
    how = "each applying the stack itself" if apply_in_each else "the stack named in pytest.ini"
    return Figure(
        f"{count} plugin tests, one message each, {how}",
        wall,
        "s",
        PLUGIN_SECONDS * count / 100,
        f"{wall:.2f} s wall for the whole pytest process, {cpu:.2f} s CPU ({summary.strip('= ')})",
        os.getloadavg()[0],
    )


def measure_reset(samples: int) -> Figure:
    """The plugin's fresh state for a test (``LocalCmq.reset``: the stack as applied, no messages),
    each time after a message was sent, in this process; the median and p99 of ``samples``."""
    import statistics

    from cmq.account import Account
    from cmq.queue import Message

    from cmqinfra.testing import local_cmq

    with tempfile.TemporaryDirectory(prefix="cmqinfra-reset-") as tmp:
        (Path(tmp) / "stack.yaml").write_text(STACK, encoding="utf-8")
        with local_cmq("stack.yaml", root=tmp) as cmq:
            account = Account(cmq.endpoint, cmq.secret_id, cmq.secret_key)
            account.close_log()
            queue = account.get_queue("inbox")
            times = []
            for i in range(samples):
                queue.send_message(Message(f"m{i}"))
                began = time.perf_counter()
                cmq.reset()
                times.append((time.perf_counter() - began) * 1000)
            if cmq.peek("inbox"):
                raise RuntimeError("reset left a message behind")
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    median = statistics.median(times)
    return Figure(
        "a fresh state for a test (the plugin's reset, median)",
        median,
        "ms",
        RESET_MS,
        f"median {median:.2f} ms, p99 {p99:.2f} ms over {samples} resets, each after a send",
        os.getloadavg()[0],
    )


def plugin_figures(count: int) -> list[Figure]:
    """The pytest plugin's reset and a suite of its tests, when the plugin is in this build."""
    load = os.getloadavg()[0]
    if importlib.util.find_spec("cmqinfra.testing") is None:
        missing = "not measured: the pytest plugin (cmqinfra.testing) is not in this build"
        return [
            Figure("a fresh state for a test (the plugin's reset, median)", None, "ms", RESET_MS,
                   missing, load),
            Figure(f"{count} plugin tests, one message each", None, "s", PLUGIN_SECONDS * count / 100,
                   missing, load),
        ]
    return [measure_reset(200), run_plugin_suite(count, True), run_plugin_suite(count, False)]


def markdown(figures: Sequence[Figure], command: str, max_load: float) -> str:
    word = {True: "PASS", False: "FAIL", None: "NOT JUDGED"}
    lines = [
        f"`{command}` (2 cores; a target missed above a load average of {max_load:g} is not judged)",
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
    figures = [run_flow_tests(args.tests), *plugin_figures(args.tests)]
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
