"""A whole ``cmqinfra test`` run: find the test files, load each with its stack, check it against
the manifest, run it. A file that cannot be run becomes one failed result naming its problems."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.emulator.delivery import DeliveryMode
from cmqinfra.flowtest.checks import check
from cmqinfra.flowtest.discover import find_test_files, manifests_for
from cmqinfra.flowtest.parse import load_test_file
from cmqinfra.flowtest.run import TestResult, run_file
from cmqinfra.manifest.loader import LoadResult
from cmqinfra.model import SourceLocation

CHECKS_NAME = "(test file checks)"


@dataclass(frozen=True)
class SuiteResult:
    results: tuple[TestResult, ...]
    diagnostics: tuple[Diagnostic, ...]
    problems: tuple[str, ...]  # PATHs that name no test file

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.results) and all(r.passed for r in self.results)


def _unrunnable(path: str, diags: Sequence[Diagnostic]) -> TestResult:
    errors = [d for d in diags if d.severity.value == "error"]
    return TestResult(
        file=path,
        name=CHECKS_NAME,
        at=SourceLocation(path, 1, 1),
        seconds=0.0,
        virtual_seconds=0.0,
        error="\n".join(
            [
                f"not run: {len(errors)} error(s) in the test file or its manifests",
                *(d.render() for d in errors),
            ]
        ),
    )


def run_suite(
    paths: Sequence[str], name_filter: str | None = None, delivery: DeliveryMode | None = None,
    load: Callable[[list[str]], LoadResult] | None = None,
) -> SuiteResult:
    """``load``: the stack a test file runs against, from its manifests (default: loaded as they
    are written; a project's unit gives its stack resolved for one environment)."""
    from cmqinfra.manifest import load_stack

    load = load or load_stack
    files, problems = find_test_files(paths)
    results: list[TestResult] = []
    diagnostics: list[Diagnostic] = []
    for path in files:
        test_file, diags = load_test_file(path)
        if test_file is None:
            diagnostics.extend(diags)
            results.append(_unrunnable(path, diags))
            continue
        loaded = load(manifests_for(test_file))
        errors = [d for d in loaded.diagnostics if d.severity.value == "error"]
        if errors or loaded.stack is None:
            diagnostics.extend(loaded.diagnostics)
            results.append(_unrunnable(path, errors))
            continue
        found = check(test_file, loaded.stack)
        if found:
            diagnostics.extend(found)
            results.append(_unrunnable(path, found))
            continue
        if name_filter is not None:
            kept = tuple(t for t in test_file.tests if name_filter in t.name)
            test_file = type(test_file)(test_file.path, test_file.manifests, kept, test_file.http_endpoints)
        results.extend(run_file(test_file, loaded.stack, delivery))
    return SuiteResult(tuple(results), tuple(diagnostics), tuple(problems))
