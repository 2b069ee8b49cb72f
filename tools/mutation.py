"""Mutation score per target group: mutmut mutates one group's modules and runs the tests that
exercise them; a group passes when its share of killed mutants meets its target.

    pip install -e '.[test,mutation]'
    python tools/mutation.py                 # every group, in turn
    python tools/mutation.py core cloud      # some groups
    python tools/mutation.py core --max-children 1 --survivors
    python tools/mutation.py emulator --module cmqinfra/emulator/messages.py   # one module of a group
    python tools/mutation.py cloud --again   # only the last run's survivors, against new tests
    python tools/mutation.py cloud --again '*unbind*'   # only some of them
    python tools/mutation.py run --sample 250 --seed 1   # a random sample of the group's mutants

Each group runs in its own scratch copy of the tree (.mutation/GROUP/, ignored by git), so the
groups never share mutmut's state and the working tree is never touched. mutmut runs only the
tests that reach the mutated function (it records which test calls which function first), so
a group costs its mutants times its fastest covering tests, not the whole suite. Exit status: 0
when every group run passes, 1 otherwise. The latest scores and the survivors judged equivalent
are in docs/reliability.md.

A group too large to run whole on the machine at hand is judged on a random sample of its
mutants (``--sample N``, ``--seed S`` to draw the same sample again): every mutant is generated and
the tests are mapped as for a whole run, then only the sample is run. The score is then an
estimate, printed with its 95% interval (Wilson's), and the group passes only when the interval's
lower end meets the target: a sample never passes a group that its whole run might fail.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".mutation"
# What a scratch copy leaves out: environments, caches, earlier runs, git itself.
_SKIP = {
    ".git",
    ".venv",
    ".mutation",
    "mutants",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "build",
    "dist",
    ".cmqinfra",
    "results",
}


@dataclass(frozen=True)
class Group:
    name: str
    modules: tuple[str, ...]  # globs, relative to the repository root
    tests: tuple[str, ...]  # pytest arguments selecting the tests that exercise them (or options)
    target: float  # share of mutants that must be killed


GROUPS = (
    Group(
        "core",
        ("cmqinfra/plan/*.py", "cmqinfra/manifest/checks.py", "cmqinfra/routing.py", "cmqinfra/live.py"),
        (
            "tests/plan/test_compute.py",
            "tests/plan/test_render.py",
            "tests/plan/test_shape.py",
            "tests/plan/test_executor.py",
            "tests/plan/test_core_rules.py",
            "tests/plan/test_refactor_rules.py",
            "tests/plan/test_targets_rules.py",
            "tests/plan/test_safety_rules.py",
            "tests/manifest/test_semantic.py",
            "tests/manifest/test_checks_pinned.py",
            "tests/emulator/test_emulator_routing.py",
            "tests/manifest/test_invalid_corpus.py",
            "tests/gitops/test_routing_report.py",
            "tests/gitops/test_markdown_plan.py",
            "tests/gitops/test_markdown_compose.py",
        ),
        0.90,
    ),
    Group(
        "cloud",
        # The adapter: its SDK reads and writes (tdmq.py), how it normalises, pages, paces,
        # retries and redacts. Target selection (target.py) is left out: see docs/reliability.md.
        (
            "cmqinfra/cloud/tdmq.py",
            "cmqinfra/cloud/normalize.py",
            "cmqinfra/cloud/paging.py",
            "cmqinfra/cloud/limiter.py",
            "cmqinfra/cloud/retry.py",
            "cmqinfra/cloud/redact.py",
            "cmqinfra/cloud/errors.py",
            "cmqinfra/cloud/api.py",
        ),
        (
            "tests/cloud/test_adapter.py",
            "tests/cloud/test_shell.py",
            "tests/cloud/test_normalize.py",
            "tests/cloud/test_pacing.py",
            "tests/cloud/test_early_read.py",
            "tests/cloud/test_adapter_reads.py",
            "tests/plan/test_with_adapter.py",
            # A pace measured in wall-clock time over HTTP: under mutmut's instrumented code on
            # shared cores it fails without any mutant. The fake-clock pacing tests stay in.
            "--deselect=tests/cloud/test_pacing.py::test_calls_are_not_refused_at_the_documented_limits",
        ),
        0.80,
    ),
    Group(
        "emulator",
        # The documented value rules, the request type table, the Tag service's rules, and the
        # message semantics (visibility, retention, delay, dead letters, fan-out) of the backend.
        (
            "cmqinfra/emulator/rules.py",
            "cmqinfra/emulator/params.py",
            "cmqinfra/emulator/tagservice.py",
            "cmqinfra/emulator/messages.py",
        ),
        (
            "tests/emulator/test_emulator_queues.py",
            "tests/emulator/test_emulator_topics.py",
            "tests/emulator/test_emulator_tags.py",
            "tests/emulator/test_emulator_protocol.py",
            "tests/emulator/test_emulator_parity.py",
            "tests/emulator/test_emulator_messages.py",
            "tests/emulator/test_emulator_params.py",
            "tests/emulator/test_emulator_listing.py",
            "tests/dataplane/test_semantics.py",
            "tests/dataplane/test_management.py",
            "tests/dataplane/test_protocol.py",
            "tests/dataplane/test_semantics_edges.py",
            "tests/dataplane/test_push.py",
        ),
        0.80,
    ),
    Group(
        "project",
        # Project mode's parts: cmqinfra.yaml, discovery, variables, changed-since, claims and
        # checks between units, what no unit owns, the multi-stack planner, the plan-file units.
        ("cmqinfra/project/*.py",),
        # the project's tests, and those of what a repository may choose (endpoints, credentials)
        ("tests/project", "tests/security/test_endpoints.py"),
        0.90,
    ),
    Group(
        "run",
        # The sessions (a PATH's and a project's), the one plan-file format, the one apply loop,
        # progress, region and target binding, the executor.
        ("cmqinfra/run/*.py",),
        (
            "tests/project",
            "tests/review",
            "tests/plan/test_commands_fake.py",
            "tests/plan/test_executor.py",
            "tests/plan/test_end_to_end.py",
            "tests/plan/test_target.py",
            # the seal of a saved plan, where credentials may go, the account guard
            "tests/security/test_sealed_plans.py",
            "tests/security/test_endpoints.py",
            "tests/security/test_guards.py",
            # focused tests of the run layer's pure parts
            "tests/run",
            # the commands the run layer serves that the lists above do not drive: export
            # (unit_export), route and test (unit_offline), validate (unit_validate), and the
            # emulator's ready hook (bootstrap), called in-process by the reset tests
            "tests/gitops/test_export.py",
            "tests/gitops/test_route_cli.py",
            "tests/flowtest/test_cmqtest_command.py",
            "tests/manifest/test_commands.py",
            "tests/dataplane/test_admin_operations.py",
        ),
        0.90,
    ),
    Group(
        "commands",
        # Flag wiring only; what it decides (which path, which refusal) is pinned through the CLI.
        ("cmqinfra/commands/*.py", "cmqinfra/cli.py"),
        (
            "tests/test_cli.py",
            "tests/project",
            "tests/review",
            "tests/plan/test_commands_fake.py",
            # Only undecorated functions are mutated (mutmut leaves click's decorated callbacks
            # alone), and only a test in this process maps to one: the emulator's admin commands
            # and its server's functions, graph's renderer, import-terraform's --var and -o checks,
            # completion and the entry point.
            "tests/commands",
            "tests/dataplane/test_admin_endpoints.py",
            "tests/graph/test_graph_command.py",
            "tests/migrate/test_import_terraform_roundtrip.py",
            "tests/migrate/test_terraform_findings.py",
        ),
        0.90,
    ),
)


def _config(group: Group) -> str:
    tests = [t for t in group.tests if t.startswith("-") or (ROOT / t).exists()]
    lines = [
        "",
        "[tool.mutmut]",
        'source_paths = ["cmqinfra"]',
        f"only_mutate = {json.dumps(list(group.modules))}",
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        # what tests read beside the package (the project tests: the pre-commit hook, examples,
        # the benchmark helpers they share)
        'also_copy = ["benchmarks", "examples", "schemas", "docs", "README.md", ".pre-commit-hooks.yaml"]',
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly"]',
        # The emulator tests start servers and threads: a mutant that hangs one is a timeout
        # (counted as killed), found within seconds rather than minutes.
        "timeout_multiplier = 5.0",
        "timeout_constant = 5.0",
    ]
    return "\n".join(lines) + "\n"


def _only(group: Group, modules: list[str]) -> Group:
    """The group cut down to the named modules, each of which must be one of its own: a
    module's score is then measured with the same tests as in the whole group's run."""
    chosen = tuple(m for m in modules if any(fnmatch(m, pattern) for pattern in group.modules))
    if len(chosen) != len(modules):
        strays = sorted(set(modules) - set(chosen))
        raise SystemExit(f"error: {strays[0]} is not a module of group {group.name!r}")
    stems = "-".join(Path(m).stem for m in chosen)
    return Group(f"{group.name}-{stems}", chosen, group.tests, group.target)


def _scratch(group: Group) -> Path:
    work = SCRATCH / group.name
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(ROOT, work, ignore=lambda _d, names: [n for n in names if n in _SKIP])
    pyproject = work / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + _config(group))
    return work


def _mutmut(work: Path, *args: str, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mutmut", *args],
        cwd=work,
        env=env,
        text=True,
        stdout=subprocess.PIPE if quiet else None,
        stderr=subprocess.STDOUT if quiet else None,
        check=False,
    )


def _run_mutants(work: Path, max_children: int, *names: str) -> None:
    """``mutmut run`` on the named mutants (all undecided ones when none are named). Its output is
    kept quiet, but a run that fails (a clean test failing in the scratch copy, a test it cannot
    collect) is shown: otherwise its mutants would stay "not checked" without a word."""
    done = _mutmut(work, "run", "--max-children", str(max_children), *names, quiet=True)
    if done.returncode != 0:
        tail = "\n".join(f"    {line}" for line in done.stdout.splitlines()[-20:])
        print(f"  mutmut run exited {done.returncode} in {work.relative_to(ROOT)}; its last lines:\n{tail}",
              flush=True)


@dataclass(frozen=True)
class Score:
    killed: int
    survived: int
    no_tests: int
    timeout: int
    other: int

    @property
    def total(self) -> int:
        return self.killed + self.survived + self.no_tests + self.timeout + self.other

    @property
    def share(self) -> float:
        # A timeout is a mutant the tests noticed (it hung them); "no tests" counts as survived.
        return (self.killed + self.timeout) / self.total if self.total else 0.0


def wilson(hits: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% interval of a share measured on a random sample (Wilson's score interval: it
    stays inside 0..1 and is honest near the ends, where a mutation score lives)."""
    if not total:
        return 0.0, 1.0
    share = hits / total
    centre = (share + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def _statuses(work: Path) -> dict[str, str]:
    """Every mutant of the run's scratch copy and what became of it ("killed", "survived", "no
    tests", "timeout", "not checked", ...)."""
    out = _mutmut(work, "results", "--all", "true", quiet=True).stdout
    statuses: dict[str, str] = {}
    for line in out.splitlines():
        name, _, status = line.strip().partition(": ")
        if "__mutmut_" in name:
            statuses[name] = status
    return statuses


def _sample_file(work: Path) -> Path:
    return work / "mutants" / "cmqinfra-sample.json"


def _sampled(work: Path) -> list[str] | None:
    """The names of the run's sample, or None when the run was of every mutant."""
    path = _sample_file(work)
    return json.loads(path.read_text()) if path.is_file() else None


def _counted(work: Path) -> dict[str, str]:
    """The statuses that make the score: the sample's, or every mutant's."""
    statuses = _statuses(work)
    sample = _sampled(work)
    return statuses if sample is None else {name: statuses[name] for name in sample if name in statuses}


def _score(statuses: dict[str, str]) -> Score:
    values = list(statuses.values())
    killed, survived = values.count("killed"), values.count("survived")
    no_tests, timeout = values.count("no tests"), values.count("timeout")
    return Score(killed, survived, no_tests, timeout, len(values) - killed - survived - no_tests - timeout)


def _per_module(statuses: dict[str, str]) -> dict[str, tuple[int, int, int]]:
    """Mutants, survivors (survived or no tests) and mutants not run yet, per mutated module."""
    counts: dict[str, list[int]] = {}
    for name, status in statuses.items():
        entry = counts.setdefault(name.rsplit(".", 1)[0], [0, 0, 0])
        entry[0] += 1
        entry[1] += status in ("survived", "no tests")
        entry[2] += status == "not checked"
    return {module: (total, alive, unrun) for module, (total, alive, unrun) in sorted(counts.items())}


def _survivors(statuses: dict[str, str]) -> list[str]:
    return [f"{name}: {status}" for name, status in statuses.items() if status in ("survived", "no tests")]


def _draw(work: Path, size: int, seed: int, max_children: int) -> list[str]:
    """Generate every mutant and map the tests to the functions they reach, without running a
    mutant (the names asked for match none, so mutmut stops there), then draw the sample."""
    _mutmut(work, "run", "--max-children", str(max_children), "cmqinfra-no-such-mutant", quiet=True)
    population = sorted(_statuses(work))
    if not population:
        raise SystemExit(f"error: mutmut generated no mutants in {work.relative_to(ROOT)}")
    sample = sorted(random.Random(seed).sample(population, min(size, len(population))))
    _sample_file(work).write_text(json.dumps(sample, indent=0) + "\n")
    print(f"  sample of {len(sample)} of {len(population)} mutants (seed {seed})", flush=True)
    return sample


def _refresh(group: Group) -> Path:
    """The group's scratch copy of the last run, with the current tests: for a rerun of its
    survivors. Refused when a mutated module changed since (its mutants would be stale)."""
    work = SCRATCH / group.name
    if not (work / "mutants").is_dir():
        raise SystemExit(f"error: no earlier run of {group.name} in {work.relative_to(ROOT)}: run it first")
    stale = [
        str(path.relative_to(ROOT))
        for pattern in group.modules
        for path in sorted(ROOT.glob(pattern))
        if not (work / path.relative_to(ROOT)).is_file()
        or (work / path.relative_to(ROOT)).read_bytes() != path.read_bytes()
    ]
    if not (work / "pyproject.toml").read_text().endswith(_config(group)):
        stale.append("the group's test list")
    if stale:
        raise SystemExit(f"error: {stale[0]} changed since the last run of {group.name}: run it again")
    shutil.copytree(ROOT / "tests", work / "tests", dirs_exist_ok=True, ignore=shutil.ignore_patterns(*_SKIP))
    return work


def _run_undecided(work: Path, max_children: int) -> None:
    """Run the mutants an interrupted run left: mutmut runs only the undecided ones of those it
    is given; of a sampled run, only the sample's."""
    sample = _sampled(work)
    if sample is None:
        _run_mutants(work, max_children)
        return
    statuses = _statuses(work)
    left = [name for name in sample if statuses.get(name) == "not checked"]
    if left:
        _run_mutants(work, max_children, *left)


def run_group(
    group: Group,
    max_children: int,
    show_survivors: bool,
    again: str | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> bool:
    print(f"== {group.name}: {', '.join(group.modules)}", flush=True)
    if again is not None:
        # Tests only added since: a mutant killed then is killed still, so only the survivors
        # (and the mutants no test reached) need running again; ``again`` narrows them by name.
        work = _refresh(group)
        globs = again.split(",")
        names = [
            n
            for line in _survivors(_counted(work))
            if any(fnmatch(n := line.partition(":")[0], g) for g in globs)
        ]
        print(f"  rerunning {len(names)} survivors of the last run with the current tests", flush=True)
        if names:
            _run_mutants(work, max_children, *names)
        _run_undecided(work, max_children)
    elif sample is not None:
        work = _scratch(group)
        _run_mutants(work, max_children, *_draw(work, sample, seed, max_children))
    else:
        work = _scratch(group)
        _run_mutants(work, max_children)
    statuses = _counted(work)
    score = _score(statuses)
    population = len(_statuses(work)) if _sampled(work) is not None else None
    if population is None:
        verdict = "PASS" if score.share >= group.target else "FAIL"
        judged = f"score {score.share:.1%}"
    else:
        low, high = wilson(score.killed + score.timeout, score.total)
        verdict = "PASS" if low >= group.target else "FAIL"
        judged = (
            f"a sample of {score.total} of {population} mutants; score {score.share:.1%}, "
            f"95% interval {low:.1%}-{high:.1%}, judged on its lower end"
        )
    print(
        f"{group.name}: {score.total} mutants, killed {score.killed}, timeout {score.timeout}, "
        f"survived {score.survived}, no tests {score.no_tests}, other {score.other}; "
        f"{judged} (target {group.target:.0%}) {verdict}",
        flush=True,
    )
    for module, (total, alive, unrun) in _per_module(statuses).items():
        # A mutant not run (an interrupted run) is not counted as killed, as in the group's score.
        left = f", {unrun} not run" if unrun else ""
        share = (total - alive - unrun) / total
        print(f"  {module}: {total} mutants, {alive} survived{left}, score {share:.1%}")
    if show_survivors:
        for line in _survivors(statuses):
            print(f"  {line}")
        print(f"  (diffs: cd {work.relative_to(ROOT)} && python -m mutmut show NAME)")
    return verdict == "PASS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [g.name for g in GROUPS]
    parser.add_argument(
        "groups", nargs="*", metavar="GROUP", help=f"one of {', '.join(names)} (default: all)"
    )
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutant runs (default 2)")
    parser.add_argument("--survivors", action="store_true", help="list the mutants that survived")
    parser.add_argument(
        "--module",
        action="append",
        default=[],
        metavar="PATH",
        help="mutate only this module of the chosen group (repeatable)",
    )
    parser.add_argument(
        "--again",
        nargs="?",
        const="*",
        metavar="GLOBS",
        help="continue the group's last run with the current tests: its survivors again (those whose "
        "name matches one of the comma-separated GLOBS), then the mutants it left unrun (tests "
        "added; mutated modules and the group's test list unchanged)",
    )
    parser.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="run a random sample of N of the group's mutants and judge the group on it",
    )
    parser.add_argument("--seed", type=int, default=0, help="the sample's random seed (default 0)")
    args = parser.parse_args(argv)
    if args.sample is not None and (args.sample < 1 or args.again is not None):
        parser.error("--sample needs N >= 1 and cannot be combined with --again (which keeps the sample)")
    unknown = sorted(set(args.groups) - set(names))
    if unknown:
        parser.error(f"unknown group {unknown[0]!r}: choose from {', '.join(names)}")
    chosen = [g for g in GROUPS if not args.groups or g.name in args.groups]
    if args.module:
        if len(chosen) != 1:
            parser.error("--module needs exactly one GROUP")
        chosen = [_only(chosen[0], args.module)]
    results = [
        run_group(g, args.max_children, args.survivors, args.again, args.sample, args.seed) for g in chosen
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
