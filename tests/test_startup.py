"""Start-up: what each command imports, so that a slow import cannot creep back.

`cmqinfra validate FILE` runs on every save in an editor or a pre-commit hook; `--version` and
`--help` run in every CI log. Each runs here in a fresh interpreter through the real entry point,
and the modules it left in ``sys.modules`` are checked against what it must not load.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from cmqinfra.cli import COMMANDS, SUMMARIES, LazyGroup

REPO = Path(__file__).resolve().parents[1]
SMALL_STACK = REPO / "examples" / "orders.yaml"

# Heavy or unrelated to checking a manifest: schema errors are worded by jsonschema only when
# there are some, the compiled acceptor needs no fastjsonschema, and nothing talks to a cloud.
NOT_FOR_VALIDATE = (
    "jsonschema",
    "fastjsonschema",
    "deepdiff",
    "numpy",
    "tencentcloud",
    "requests",
    "urllib3",
    "http.client",
    "sqlite3",
    "concurrent.futures",
    "hcl2",
    "cmqinfra.emulator",
    "cmqinfra.cloud",
    "cmqinfra.plan",
    "cmqinfra.project",
    "cmqinfra.run",
    "cmqinfra.commands.projectmode",
)
NOT_FOR_VERSION = NOT_FOR_VALIDATE + ("yaml", "cmqinfra.manifest", "cmqinfra.model")

PROBE = """
import json, sys
from cmqinfra.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported_by(*argv: str, cwd: Path = REPO) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["code"], result["modules"]


# validate's own part of the unit session: the checks and their one renderer, nothing that connects
VALIDATE_OWN = ("cmqinfra.run", "cmqinfra.run.unit_validate")


def loaded(modules: list[str], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    return [m for m in modules
            if m not in allowed and any(m == f or m.startswith(f + ".") for f in forbidden)]


def test_validate_of_a_valid_stack_imports_only_what_checking_a_manifest_needs() -> None:
    code, modules = imported_by("validate", str(SMALL_STACK))
    assert code == 0
    assert "cmqinfra.manifest.compiled.manifest" in modules  # the check did run
    assert loaded(modules, NOT_FOR_VALIDATE, VALIDATE_OWN) == []


def test_validate_and_plan_name_the_policy_variable_as_its_owner_does() -> None:
    from cmqinfra.commands import validate
    from cmqinfra.manifest.projectfile import PROJECT_FILE_NAME
    from cmqinfra.policy.config import OPERATOR_POLICIES
    from cmqinfra.project.config import PROJECT_FILE
    from cmqinfra.run import session

    assert validate.OPERATOR_POLICIES == session.OPERATOR_POLICIES == OPERATOR_POLICIES
    assert PROJECT_FILE_NAME == PROJECT_FILE


def test_plan_of_a_stack_outside_any_project_loads_no_project_machinery(tmp_path: Path) -> None:
    """`plan --local PATH` (an editor's or a hook's dry run) needs the SDK, the emulator and the
    session over units (a PATH is a project of one unit: its units, resolve, runner, connections,
    early reads and report); the policy rules only where a cmqinfra.yaml or the operator's policy
    file can apply to the PATH, and none of what a project of many adds (changed-since, claims,
    cross-unit rules, orphans, baselines, the plan-file writer)."""
    code, modules = imported_by("plan", "--local", str(SMALL_STACK), cwd=tmp_path)
    assert code == 0
    assert "cmqinfra.plan.compute" in modules  # it did plan
    unneeded = ("cmqinfra.policy", "jsonschema", "deepdiff", "cmqinfra.project.changes",
                "cmqinfra.project.claims", "cmqinfra.project.crossunit", "cmqinfra.project.orphans",
                "cmqinfra.project.baseline", "cmqinfra.run.planfile", "cmqinfra.project.policies",
                "cmqinfra.project.membership", "cmqinfra.project.targets")
    assert loaded(modules, unneeded) == []


# What `plan --local PATH` (an editor's or a hook's dry run) does not run: apply, a saved plan and
# its seal, the JSON and markdown views and the policy lines, the emulator's doors other than API
# 3.0 (the message API, the console, the admin calls) and its admin operations and CAM policies,
# an HTTP server (the SDK's requests reach the embedded emulator in process), git, the
# close-match suggestions of an error, and the reader of a cmqinfra.yaml (a PATH outside any project
# has none; on Python 3.11 each frozen dataclass it defines costs some 4 M instructions to build),
# `html` with its table of 2,000 entities (the markdown and graph views and a request body the
# emulator refuses escape HTML), and the closure of a --target. Each loads on the run that uses it.
NOT_FOR_PLAN_LOCAL = (
    "jsonschema",
    "deepdiff",
    "numpy",
    "subprocess",
    "difflib",
    "cmqinfra.run.executor",
    "cmqinfra.run.saved",
    "cmqinfra.run.seal",
    "cmqinfra.render.json",
    "cmqinfra.render.markdown",
    "cmqinfra.render.policy",
    "cmqinfra.emulator.cmq_door",
    "cmqinfra.emulator.cmq_actions",
    "cmqinfra.emulator.admin_door",
    "cmqinfra.emulator.console",
    "cmqinfra.emulator.admin",
    "cmqinfra.emulator.cam",
    "cmqinfra.emulator.httpserver",
    "http.server",
    "socketserver",
    "cmqinfra.project.config",
    "html",
    "cmqinfra.plan.targets",
)


def test_plan_local_of_a_path_loads_only_what_a_text_plan_on_the_embedded_emulator_needs(
    tmp_path: Path,
) -> None:
    imported_by("plan", "--local", str(SMALL_STACK), cwd=tmp_path)  # the local state, as a save finds it
    code, modules = imported_by("plan", "--local", str(SMALL_STACK), cwd=tmp_path)
    assert code == 0
    assert "cmqinfra.emulator.server" in modules and "cmqinfra.render.text" in modules  # it did plan
    assert loaded(modules, NOT_FOR_PLAN_LOCAL) == []


YAML_READER_PROBE = """
import json, sys
from cmqinfra.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
import yaml.reader
print(json.dumps({"code": code, "pattern": yaml.reader.Reader.NON_PRINTABLE.pattern}))
"""


def test_plan_local_compiles_pyyamls_non_printable_class_from_the_cheaper_spelling(tmp_path: Path) -> None:
    from cmqinfra.manifest.pyyaml import NON_PRINTABLE

    done = subprocess.run([sys.executable, "-c", YAML_READER_PROBE, "plan", "--local", str(SMALL_STACK)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"code": 0, "pattern": NON_PRINTABLE}


def test_the_cheaper_spelling_is_pyyamls_class_on_every_code_point() -> None:
    import re

    from cmqinfra.manifest.pyyaml import NON_PRINTABLE, PYYAML_NON_PRINTABLE

    # PyYAML as installed still spells it so (else its import would pay for its own again)
    show = "import yaml.reader; print(ascii(yaml.reader.Reader.NON_PRINTABLE.pattern))"
    done = subprocess.run([sys.executable, "-c", show], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == ascii(PYYAML_NON_PRINTABLE)
    every = "".join(map(chr, range(0x110000)))
    # DOTALL changes nothing in a character class; it keys re's cache apart from the entry put there
    pyyamls = re.compile(PYYAML_NON_PRINTABLE, re.DOTALL)
    assert pyyamls is not re.compile(NON_PRINTABLE)
    found = re.compile(NON_PRINTABLE).findall(every)
    assert found == pyyamls.findall(every)
    assert len(found) == 2048 + 29 + 32 + 2  # surrogates; C0 but tab, LF, CR; DEL, C1 but NEL; FFFE-F


def test_validate_of_an_invalid_stack_words_its_errors_with_jsonschema(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("stack: s\nqueues:\n  q:\n    visibilityTimeout: 50000\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "cmqinfra", "validate", str(bad)], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "bad.yaml:4:" in done.stderr and "visibilityTimeout must be at most 43200" in done.stderr


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_load_no_command(flag: str) -> None:
    code, modules = imported_by(flag)
    assert code == 0
    assert loaded(modules, NOT_FOR_VERSION) == []
    assert [m for m in modules if m.startswith("cmqinfra.commands.")] == []


def test_the_help_listing_is_what_each_command_says_of_itself() -> None:
    """SUMMARIES stands in for the commands in `--help`: it must read exactly as their own help."""
    group = LazyGroup()
    for name in COMMANDS:
        command = group._load(name)
        assert isinstance(command, click.Command), name
        if name not in SUMMARIES:
            continue  # listed by loading it: slower, still right
        for limit in (20, 45, 60, 100):
            listed = click.Command(name, help=SUMMARIES[name]).get_short_help_str(limit)
            assert listed == command.get_short_help_str(limit), name
