"""G4: what was reviewed is what is applied (docs/security.md). A saved plan is edited every way
the findings name; apply refuses each before any write, counted on the emulator."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cmqinfra.emulator import Emulator
from cmqinfra.run import seal
from tests.project.helpers import cmq, write

STACK = """
stack: shop
queues:
  orders: {visibilityTimeout: 30}
  audit: {}
"""
KEY = "ci-plan-key-0123456789"


@pytest.fixture(autouse=True)
def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv(seal.KEY_VARIABLE, raising=False)


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[Emulator]:
    emulator = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False)
    yield emulator
    emulator.stop()


def writes(emu: Emulator) -> dict[str, int]:
    return {a: n for a, n in emu.call_counts().items() if not a.startswith(("Describe", "GetCaller"))}


def _split(path: Path) -> tuple[dict, bytes]:  # type: ignore[type-arg]
    data = path.read_bytes()
    plain, _ = seal.unseal(data, str(path), None, None)
    return json.loads(plain), plain


def _reseal(path: Path, doc: dict, key: str | None) -> None:  # type: ignore[type-arg]
    """What an editor can do: change the plan and seal it again, without the CI's key."""
    doc.pop(seal.SEAL_KEY, None)
    path.write_bytes(seal.seal((json.dumps(doc, indent=2) + "\n").encode(), key))


def _edit_desired(doc: dict) -> None:  # type: ignore[type-arg]
    saved = doc["units"][0]["saved_plan"]  # one format: a stack's file is a project's of one unit
    for queue in saved["desired"]["queues"]:
        queue["visibilityTimeout"] = 600


def _into_destroy(doc: dict) -> None:  # type: ignore[type-arg]
    saved = doc["units"][0]["saved_plan"]  # one format: a stack's file is a project's of one unit
    saved["destroy"] = True
    saved["approved_data_loss"] = ["orders", "audit"]
    saved["desired"]["queues"] = []


EDITS: dict[str, Callable[[dict], None]] = {"desired value": _edit_desired,  # type: ignore[type-arg]
                                            "no changes into a destroy": _into_destroy}


def _stack_repo(tmp_path: Path, emu: Emulator) -> tuple[Path, tuple[str, ...]]:
    """A single stack, applied: its saved plan is "No changes"."""
    path = write_stack(tmp_path)
    code, _, err = cmq(tmp_path, "apply", str(path), "--endpoint", emu.url, "--auto-approve")
    assert code == 0, err
    return tmp_path, (str(path), "--endpoint", emu.url)


def write_stack(root: Path) -> Path:
    (root / "shop.yaml").write_text(STACK)
    return root / "shop.yaml"


def _project_repo(tmp_path: Path, emu: Emulator) -> tuple[Path, tuple[str, ...]]:
    repo = tmp_path / "repo"
    config = f"environments:\n  prod: {{endpoint: {emu.url}}}\nstacks:\n  shop: {{path: shop}}\n"
    write(repo, {"cmqinfra.yaml": config, "shop/shop.yaml": STACK})
    code, _, err = cmq(repo, "apply", "--auto-approve")
    assert code == 0, err
    return repo, ()


REPOS = {"stack": _stack_repo, "project": _project_repo}


def _plan(root: Path, args: tuple[str, ...]) -> tuple[Path, str]:
    code, out, err = cmq(root, "plan", *args, "--out", "p.plan", "--format", "markdown")
    assert code == 0, err
    digest = re.search(r"Saved plan digest: `(sha256:[0-9a-f]{64})`", out)
    assert digest is not None, out
    assert f"Plan digest: {digest.group(1)}" in err
    return root / "p.plan", digest.group(1)


@pytest.mark.parametrize("mode", REPOS)
@pytest.mark.parametrize("edit", EDITS)
def test_an_edited_and_resealed_plan_is_refused_with_the_key_and_with_the_digest(
        tmp_path: Path, emu: Emulator, monkeypatch: pytest.MonkeyPatch, mode: str, edit: str) -> None:
    root, args = REPOS[mode](tmp_path, emu)
    monkeypatch.setenv(seal.KEY_VARIABLE, KEY)
    plan_file, digest = _plan(root, args)
    doc, _ = _split(plan_file)
    EDITS[edit](doc)
    before = writes(emu)
    # Resealed without the key: the HMAC is missing.
    _reseal(plan_file, doc, None)
    code, out, err = cmq(root, "apply", "--plan", "p.plan")
    assert code == 1 and "saved without CMQINFRA_PLAN_KEY" in err
    # Resealed with another key: the HMAC does not verify.
    _reseal(plan_file, doc, "guessed")
    code, out, err = cmq(root, "apply", "--plan", "p.plan")
    assert code == 1 and "does not verify with CMQINFRA_PLAN_KEY" in err
    # No key in the apply job, but the reviewed digest required: refused too.
    monkeypatch.delenv(seal.KEY_VARIABLE)
    code, out, err = cmq(root, "apply", "--plan", "p.plan", "--expect-digest", digest)
    assert code == 1 and f"not the {digest} that was expected" in err
    # Edited in place, seal kept: the digest itself does not match.
    data = plan_file.read_bytes().replace(b'"visibilityTimeout": 600', b'"visibilityTimeout": 601')
    data = data.replace(b'"destroy": true', b'"destroy": true ')
    plan_file.write_bytes(data)
    code, out, err = cmq(root, "apply", "--plan", "p.plan")
    assert code == 1 and "changed after it was saved" in err
    # Unsealed: refused wherever the apply job holds the key or the digest.
    plan_file.write_text(json.dumps(doc))
    code, out, err = cmq(root, "apply", "--plan", "p.plan", "--expect-digest", digest)
    assert code == 1 and "the plan is not sealed" in err
    monkeypatch.setenv(seal.KEY_VARIABLE, KEY)
    code, out, err = cmq(root, "apply", "--plan", "p.plan")
    assert code == 1 and "the plan is not sealed" in err
    assert writes(emu) == before


@pytest.mark.parametrize("mode", REPOS)
def test_the_reviewed_plan_applies_with_the_key_and_the_digest(
        tmp_path: Path, emu: Emulator, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    root, args = REPOS[mode](tmp_path, emu)
    manifest = root / "shop.yaml" if mode == "stack" else root / "shop/shop.yaml"
    manifest.write_text(STACK.replace("30", "45"))
    monkeypatch.setenv(seal.KEY_VARIABLE, KEY)
    plan_file, digest = _plan(root, args)
    assert stat.S_IMODE(os.stat(plan_file).st_mode) == 0o600
    _, plain = _split(plan_file)
    assert seal.digest_of(plain) == digest
    code, out, err = cmq(root, "show", "p.plan")
    assert code == 0, err
    assert "~ visibilityTimeout = 30 -> 45" in out
    code, out, err = cmq(root, "apply", "--plan", "p.plan", "--expect-digest", digest)
    assert code == 0, err
    assert writes(emu).get("ModifyCmqQueueAttribute") == 1


def test_an_existing_plan_file_is_replaced_private(tmp_path: Path, emu: Emulator) -> None:
    root, args = _stack_repo(tmp_path, emu)
    (root / "p.plan").write_text("{}")
    os.chmod(root / "p.plan", 0o644)
    _plan(root, args)
    assert stat.S_IMODE(os.stat(root / "p.plan").st_mode) == 0o600


@pytest.mark.parametrize("mode", REPOS)
def test_show_refuses_an_edited_plan_like_apply(tmp_path: Path, emu: Emulator, mode: str) -> None:
    root, args = REPOS[mode](tmp_path, emu)
    plan_file, _ = _plan(root, args)
    plan_file.write_bytes(plan_file.read_bytes().replace(b'"destroy": false', b'"destroy": true'))
    code, out, err = cmq(root, "show", "p.plan")
    assert code == 1 and "changed after it was saved" in err


@pytest.mark.parametrize("mode", REPOS)
def test_without_key_or_digest_an_edit_of_what_runs_still_differs_from_what_show_prints(
        tmp_path: Path, emu: Emulator, mode: str) -> None:
    """The weakest setting (no key, no digest required): the seal stripped and the desired state
    edited. What apply would run is no longer what show prints, and apply refuses."""
    root, args = REPOS[mode](tmp_path, emu)
    plan_file, _ = _plan(root, args)
    doc, _ = _split(plan_file)
    _edit_desired(doc)
    plan_file.write_text(json.dumps(doc))
    code, out, err = cmq(root, "show", "p.plan")
    assert code == 0 and "No changes." in out  # what the reviewer would read
    before = writes(emu)
    code, out, err = cmq(root, "apply", "--plan", "p.plan")
    assert code == 1
    assert "recorded changes are not what its desired state plans to" in err
    assert writes(emu) == before


def test_a_key_variable_set_but_empty_is_refused(tmp_path: Path, emu: Emulator,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A CI recipe passes an empty value when the secret it names is missing: not a silent unkeyed run."""
    root, args = _stack_repo(tmp_path, emu)
    monkeypatch.setenv(seal.KEY_VARIABLE, "")
    code, out, err = cmq(root, "plan", *args, "--out", "p.plan")
    assert code == 1 and "CMQINFRA_PLAN_KEY is set but empty" in err
    assert not (root / "p.plan").exists()


def test_the_github_recipe_seals_in_the_plan_job_and_requires_it_in_the_apply_job() -> None:
    import yaml

    recipe = yaml.safe_load((Path(__file__).parents[2] / "examples/ci/github-actions.yml").read_text())
    steps = [step for job in recipe["jobs"].values() for step in job["steps"]]
    uses = [step for step in steps if ("cmqinfra plan" in str(step.get("run", ""))
                                       and "--out" in str(step.get("run", "")))
            or "cmqinfra apply --plan" in str(step.get("run", ""))]
    assert len(uses) >= 2  # a plan that saves, and an apply of the saved plan, at least
    for step in uses:
        assert step["env"][seal.KEY_VARIABLE] == "${{ secrets.CMQINFRA_PLAN_KEY }}"
