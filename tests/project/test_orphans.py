"""Nothing silently unmanaged: what the ownership tags give to a stack no unit of the project is any
more (an environment dropped, a name suffix changed, a stack renamed without renamedFrom) is shown
in the plan and in the comment, found without a call per resource, and never deleted."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import cmq, queues, write

from cmqinfra.emulator import Emulator


def _project(root: Path, emu: Emulator, environments: str, suffix: str = "-dev") -> None:
    write(root, {
        "cmqinfra.yaml": f"""
            version: 1
            environments:
              dev: {{endpoint: {emu.url}, nameSuffix: "{suffix}"}}
              staging: {{endpoint: {emu.url}, nameSuffix: -staging}}
              prod: {{endpoint: {emu.url}}}
            stacks:
              search: {{path: stacks/search, environments: {environments}}}
              billing: {{path: stacks/billing}}
            """,
        "stacks/search/search.yaml": "stack: search\nqueues:\n  index: {protect: true}\n  feed: {}\n",
        "stacks/billing/billing.yaml": "stack: billing\nqueues:\n  invoices: {}\n",
    })


def test_a_dropped_environment_shows_its_resources_in_the_plan_and_the_comment(
    tmp_path: Path, emulators: dict[str, Emulator]
) -> None:
    emu = emulators["dev"]
    _project(tmp_path, emu, "[dev, staging, prod]")
    code, _, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 0, err
    _project(tmp_path, emu, "[dev, prod]")  # staging dropped from search
    emu.reset_call_counts()
    code, out, err = cmq(tmp_path, "plan")
    assert code == 0, err
    assert ("Warning: 2 resource(s) on endpoint " in out
            and "are tagged as owned by stack 'search-staging', which no stack of this project is "
                "(queue/feed-staging, queue/index-staging)" in out)
    assert "`renamedFrom: search-staging`" in out and "cmqinfra destroy --stack NAME --env ENV" in out
    assert "will be destroyed" not in out
    # one tag-filtered listing each for queues and topics named them, no call per resource
    counts = emu.call_counts()
    assert counts.get("DescribeCmqQueueDetail", 0) == 0 and counts.get("DescribeCmqTopicDetail", 0) == 0

    code, out, err = cmq(tmp_path, "plan", "--format", "markdown")
    assert code == 0, err
    # in the comment's CAUTION block, never collapsed
    assert "> - **orphan**: ``2 resource(s) on endpoint " in out and "'search-staging'" in out
    code, out, err = cmq(tmp_path, "plan", "--format", "json")
    assert code == 0, err
    [warning] = json.loads(out)["warnings"]
    assert "search-staging" in warning
    code, out, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 0, err
    assert "tagged as owned by stack 'search-staging'" in out
    assert {"index-staging", "feed-staging"} <= set(queues(emu))  # never deleted


def test_a_changed_suffix_shows_the_old_copies(tmp_path: Path, emulators: dict[str, Emulator]) -> None:
    emu = emulators["dev"]
    _project(tmp_path, emu, "[dev]")
    code, _, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 0, err
    _project(tmp_path, emu, "[dev]", suffix="-development")
    code, out, err = cmq(tmp_path, "plan")
    assert code == 0, err
    assert "queue/index-development will be created" in out  # the new copies, beside ...
    assert "tagged as owned by stack 'search-dev'" in out and "(queue/feed-dev, queue/index-dev)" in out
    assert "tagged as owned by stack 'billing-dev'" in out and "(queue/invoices-dev)" in out


def test_nothing_is_said_and_nothing_listed_when_every_owner_is_a_unit(
    tmp_path: Path, emulators: dict[str, Emulator]
) -> None:
    emu = emulators["dev"]
    _project(tmp_path, emu, "[dev, staging, prod]")
    code, _, err = cmq(tmp_path, "apply", "--auto-approve")
    assert code == 0, err
    emu.reset_call_counts()
    code, out, err = cmq(tmp_path, "plan", "--detailed-exitcode")
    assert code == 0, out + err
    assert "Warning" not in out
    # a narrowed run cannot know: it says nothing rather than something wrong
    _project(tmp_path, emu, "[dev, prod]")
    code, out, err = cmq(tmp_path, "plan", "--stack", "billing")
    assert code == 0 and "Warning" not in out


def test_names_from_live_tags_and_cmqinfra_yaml_are_shown_plain() -> None:
    from cmqinfra.project.orphans import Orphans, describe

    text = describe(Orphans("evil`<img src=x>", "endpoint http://h/<script>, region r", ("queue/a<b>",)))
    assert "<" not in text and ">" not in text
    assert "evil`" not in text and "evil?" in text
