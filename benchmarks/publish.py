"""Regenerate the figures in README.md and docs/performance.md from benchmarks/results.

    python benchmarks/publish.py          # rewrite the marked blocks
    python benchmarks/publish.py --check  # exit 1 when a block differs from the results

The documents keep their prose; every figure sits between ``<!-- results:NAME -->`` and
``<!-- /results:NAME -->`` and comes from one results file, written by the benchmark's own run
(``--out benchmarks/results``): nothing is typed in by hand, and ``--check`` (run by
tests/benchmarks/test_publish.py) fails when a document and the results disagree.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
DOCUMENTS = (REPO / "README.md", REPO / "docs" / "performance.md")
_BLOCK = re.compile(r"(<!-- results:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /results:(?P=name) -->)", re.S)


def _read(name: str) -> str:
    return (RESULTS / name).read_text(encoding="utf-8")


def _section(markdown: str, heading: str) -> str:
    """The lines under ``## heading`` (or ``### heading``) up to the next heading."""
    out: list[str] = []
    inside = False
    for line in markdown.splitlines():
        if line.startswith("#"):
            if inside:
                break
            inside = line.lstrip("#").strip() == heading
            continue
        if inside:
            out.append(line)
    return "\n".join(out).strip("\n")


def _first_line(markdown: str) -> str:
    return markdown.splitlines()[0]


def scale_targets() -> str:
    text = _read("scale.md")
    command = re.search(r"Command: `([^`]*)`", text)
    shown = command.group(1) if command else "python benchmarks/scale.py"
    return f"`{shown}`\n\n" + _section(text, "Targets")


def scale_table() -> str:
    run = json.loads(_read("scale.json"))
    rows = [
        "| queues/topics/subs | command | rate scale | time (s) | lower bound (s) | time / bound | API calls "
        "| local CPU (s) | load avg |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    every = run["sizes"] + run["real_limits"] + run["large_apply"] + run["targeted"] + run["project"]
    seen: set[tuple[str, str, float]] = set()
    for row in every:
        for command, key in (("apply (from empty)", "apply"), ("plan (no changes)", "plan")):
            timed = row[key]
            ident = (row["label"], command, row["rate_scale"])
            if timed is None or ident in seen:
                continue
            seen.add(ident)
            scale = "1 (real limits)" if row["rate_scale"] == 1 else f"{row['rate_scale']:g}"
            ratio = timed["seconds"] / timed["bound_seconds"] if timed["bound_seconds"] else float("inf")
            rows.append(
                f"| {row['label']} | {command} | {scale} | {timed['seconds']:.2f} "
                f"| {timed['bound_seconds']:.2f} | {ratio:.2f} | {sum(timed['calls'].values())} "
                f"| {timed['local_cpu']:.2f} | {timed['load_average']:.1f} |"
            )
    return "\n".join(rows)


def scale_summary() -> str:
    return scale_table() + "\n\n" + _section(_read("scale.md"), "Targets")


def scale_full() -> str:
    text = _read("scale.md")
    heading = next(
        line.lstrip("#").strip() for line in text.splitlines() if line.startswith("## Time and calls")
    )
    return _section(text, heading)


def scale_local() -> str:
    text = _read("scale.md")
    heading = next(line.lstrip("#").strip() for line in text.splitlines() if line.startswith("## Local work"))
    return _section(text, heading)


def startup() -> str:
    text = _read("startup.md")
    intro = _first_line(_section(text, "Start-up"))
    return f"{intro}\n\n{_table(text)}\n\n{_section(text, 'Targets')}"


def _table(markdown: str) -> str:
    return "\n".join(line for line in markdown.splitlines() if line.startswith("|"))


def dataplane() -> str:
    text = _read("dataplane.md")
    return _first_line(text) + "\n\n" + _table(text)


def localcmq() -> str:
    text = _read("localcmq.md")
    return _first_line(text) + "\n\n" + _table(text)


BLOCKS: dict[str, Callable[[], str]] = {
    "scale-targets": scale_targets,
    "scale-table": scale_table,
    "scale-summary": scale_summary,
    "scale-full": scale_full,
    "scale-local": scale_local,
    "startup": startup,
    "dataplane": dataplane,
    "localcmq": localcmq,
}


def render(document: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group("name")
        if name not in BLOCKS:
            raise SystemExit(f"unknown results block {name!r}")
        return f"{match.group(1)}{BLOCKS[name]()}\n{match.group(4)}"

    return _BLOCK.sub(fill, document)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            if args.check:
                stale.append(str(path.relative_to(REPO)))
            else:
                path.write_text(new, encoding="utf-8")
    if stale:
        print("out of date with benchmarks/results: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
