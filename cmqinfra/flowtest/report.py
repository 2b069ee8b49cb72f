"""What ``cmqinfra test`` prints, and the JUnit XML report CI reads."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from cmqinfra.flowtest.run import Mismatch, TestResult
from cmqinfra.render.escape import terminal


def diff_lines(mismatch: Mismatch) -> list[str]:
    """Expected against actual, line by line: ``-`` expected and missing, ``+`` found instead."""
    lines: list[str] = []
    for want, got in zip(mismatch.expected, mismatch.actual, strict=True):
        if want == got:
            lines.append(f"    {want}")
        else:
            lines.append(f"  - {want}")
            lines.append(f"  + {got}")
    return lines


def failure_text(result: TestResult, brief: bool = False) -> str:
    """Why a test failed; ``brief`` keeps only the first line of an error (the command prints the
    located diagnostics themselves on stderr)."""
    parts: list[str] = []
    if result.error is not None:
        parts.append(result.error.splitlines()[0] if brief else result.error)
    for mismatch in result.mismatches:
        parts.append(f"{mismatch.at}: expectation failed: {mismatch.message}")
        parts.extend(diff_lines(mismatch))
    return "\n".join(parts)


def render_text(results: Sequence[TestResult]) -> str:
    lines: list[str] = []
    for result in results:
        mark = "PASS" if result.passed else "FAIL"
        # Names, case values, bodies and paths come from the repository: shown, never obeyed.
        lines.append(
            f"{mark}  {terminal(result.at.file)}:{result.at.line}  {terminal(result.name)}  "
            f"({result.seconds:.2f}s, {result.virtual_seconds:g}s on the virtual clock)"
        )
        if not result.passed:
            lines.extend("      " + terminal(line) for line in failure_text(result, brief=True).splitlines())
    failed = sum(not r.passed for r in results)
    lines.append(f"\n{len(results) - failed} passed, {failed} failed")
    return "\n".join(lines) + "\n"


def junit_xml(results: Sequence[TestResult]) -> bytes:
    suites = ET.Element("testsuites", name="cmqinfra test")
    by_file: dict[str, list[TestResult]] = {}
    for result in results:
        by_file.setdefault(result.file, []).append(result)
    for file, items in by_file.items():
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=file,
            tests=str(len(items)),
            failures=str(sum(bool(r.mismatches) and r.error is None for r in items)),
            errors=str(sum(r.error is not None for r in items)),
            time=f"{sum(r.seconds for r in items):.3f}",
        )
        for result in items:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=file,
                name=result.name,
                file=file,
                line=str(result.at.line),
                time=f"{result.seconds:.3f}",
            )
            if result.error is not None:
                ET.SubElement(case, "error", message=result.error.splitlines()[0]).text = failure_text(result)
            elif result.mismatches:
                first = result.mismatches[0]
                ET.SubElement(
                    case, "failure", message=f"{first.at}: expectation failed: {first.message}"
                ).text = failure_text(result)
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"
