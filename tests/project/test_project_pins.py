"""The project layer's smaller rules, each pinned where a user meets it: discovery without
``cmqinfra.yaml``, the policies of the project around a PATH, a project target's words, a baseline
taken from another directory, ``resolve``'s YAML, the run's one embedded emulator."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import cmq, git, write

from cmqinfra.emulator import Emulator


def test_a_directory_without_manifests_is_no_project_and_says_what_to_give(tmp_path: Path) -> None:
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1 and out == ""
    assert err == ("error: no project in .: no cmqinfra.yaml, and no directory under it holds manifests "
                   "(hint: give manifest PATH arguments, or --project DIR)\n")


def test_a_discovered_stack_is_chosen_by_its_directory(tmp_path: Path) -> None:
    write(tmp_path, {"a/a.yaml": "stack: a\nqueues:\n  qa: {}\n",
                     "b/b.yaml": "stack: b\nqueues:\n  qb: {}\n"})
    code, out, err = cmq(tmp_path, "validate", "--stack", "b")
    assert (code, out, err) == (0, "ok: b: 1 queue, 0 topics, 0 subscriptions\n", "")


def test_a_manifest_that_is_not_utf8_is_found_and_reported_at_its_byte(tmp_path: Path) -> None:
    write(tmp_path, {"a/a.yaml": "stack: a\nqueues:\n  qa: {}\n"})
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "b.yaml").write_bytes(b"x: \xff\nstack: b\n")
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1
    assert out == "ok: a: 1 queue, 0 topics, 0 subscriptions\n"
    assert "b/b.yaml:1:4: error: file is not valid UTF-8 (byte 0xff)" in err and "failed: b: 1 error" in err


def test_a_path_in_a_project_but_no_stack_of_it_takes_the_projects_policies(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": """
            version: 1
            stacks:
              shop: {path: shop}
            policies:
              extra-tags:
                rule: requiredTags
                stacks: [extra]
                tags: [team]
            """,
        "shop/shop.yaml": "stack: shop\nqueues:\n  s: {}\n",
        "extra/extra.yaml": "stack: extra\nqueues:\n  e: {}\n",
    })
    code, out, err = cmq(tmp_path, "validate", "extra")
    assert code == 1, out + err
    assert ("extra/extra.yaml:3:3: error: queue/e: lacks the required tag(s) team [policy extra-tags at "
            "cmqinfra.yaml:5:3]") in err, err
    # the same stack outside the project has no policy to break
    alone = tmp_path.parent / f"{tmp_path.name}-alone"
    write(alone, {"extra.yaml": "stack: extra\nqueues:\n  e: {}\n"})
    code, out, err = cmq(alone, "validate", "extra.yaml")
    assert (code, err) == (0, ""), err


def test_a_project_target_with_a_bad_address_names_the_target(tmp_path: Path) -> None:
    write(tmp_path, {"shop/shop.yaml": "stack: shop\nqueues:\n  s: {}\n"})
    code, out, err = cmq(tmp_path, "plan", "--local", "--target", "shop:bucket/x")
    assert code != 0 and out == ""
    assert ("Error: Invalid value for '--target': --target 'shop:bucket/x': use queue/NAME, topic/NAME or "
            "subscription/TOPIC/NAME\n") in err, err


def test_a_stacks_baseline_is_read_from_its_repository_not_the_working_directory(
    tmp_path: Path, emulators: dict[str, Emulator]
) -> None:
    emu = emulators["dev"]
    repo, elsewhere = tmp_path / "repo", tmp_path / "elsewhere"
    manifest = f"stack: shop\nregion: {emu.region}\nqueues:\n  a: {{visibilityTimeout: 30}}\n"
    write(repo, {"shop.yaml": manifest})
    elsewhere.mkdir()
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=dev@example.com", "-c", "user.name=dev", "commit", "-qm", "base")
    code, _, err = cmq(elsewhere, "apply", str(repo / "shop.yaml"), "--endpoint", emu.url, "--auto-approve")
    assert code == 0, err
    from helpers import sdk

    sdk(emu).call_json("ModifyCmqQueueAttribute", {"QueueName": "a", "VisibilityTimeout": 90})
    code, md, err = cmq(elsewhere, "plan", str(repo / "shop.yaml"), "--endpoint", emu.url,
                        "--baseline", "HEAD", "--format", "markdown")
    assert code == 0, err
    assert "`visibilityTimeout` **changed outside cmqinfra**: live `90`, this plan sets `30`" in md


def test_resolve_prints_block_style_yaml(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": """
            version: 1
            environments:
              dev: {region: ap-guangzhou}
            stacks:
              shop: {path: shop}
            """,
        "shop/shop.yaml": """
            stack: shop
            queues:
              s: {tags: {team: t}}
            topics:
              t:
                filterType: routingKey
                subscriptions:
                  one: {protocol: queue, endpoint: s, bindingKeys: [a.b, c.d]}
            """,
    })
    code, out, err = cmq(tmp_path, "resolve", "shop", "--env", "dev")
    assert code == 0, err
    assert "  s:\n    tags:\n      team: t\n" in out, out
    assert "        bindingKeys:\n        - a.b\n        - c.d\n" in out, out


def test_the_runs_embedded_emulator_is_one_for_every_region(tmp_path: Path) -> None:
    from cmqinfra.run.connections import Connections
    from cmqinfra.run.session import TargetOptions

    connections = Connections(TargetOptions(local=True), tmp_path)
    try:
        first = connections._local_emulator()
        assert connections._local_emulator() is first  # one for the run, whatever the region
    finally:
        connections.close()


def test_a_value_file_that_no_longer_parses_counts_as_changed(tmp_path: Path) -> None:
    from cmqinfra.project.changes import Change, _values_changed

    write(tmp_path, {"values.yaml": "retention: 60\n"})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.email=dev@example.com", "-c", "user.name=dev", "commit", "-qm", "base")
    base = git(tmp_path, "rev-parse", "HEAD").strip()
    values = tmp_path / "values.yaml"
    change = Change(base, tmp_path.resolve(), frozenset({values.resolve()}), None)
    unit = SimpleNamespace(variables=("retention",))
    assert _values_changed(change, values, unit) is False  # type: ignore[arg-type]
    values.write_text("retention: [60\n")
    assert _values_changed(change, values, unit) is True  # type: ignore[arg-type]
    values.write_text("other: 1\nretention: 60\n")
    assert _values_changed(change, values, unit) is False  # type: ignore[arg-type]
    values.write_text("retention: 61\n")
    assert _values_changed(change, values, unit) is True  # type: ignore[arg-type]
    values.write_text("- retention\n")  # no longer a mapping
    assert _values_changed(change, values, unit) is True  # type: ignore[arg-type]
    fresh = tmp_path / "fresh.yaml"  # a file the base did not have
    fresh.write_text("retention: 60\n")
    assert _values_changed(change, fresh, unit) is True  # type: ignore[arg-type]
    os.remove(values)
    assert _values_changed(change, values, unit) is True  # type: ignore[arg-type]


def test_a_project_plan_in_json_names_its_format_and_each_units_target(tmp_path: Path) -> None:
    import json

    write(tmp_path, {"a/a.yaml": "stack: a\nqueues:\n  qa: {}\n",
                     "b/b.yaml": "stack: b\nqueues:\n  qb: {visibilityTimeout: -5}\n"})
    code, out, err = cmq(tmp_path, "plan", "--local", "--format", "json")
    assert code == 1 and "b/b.yaml:3:27: error: visibilityTimeout must be at least 1 (got -5)" in err
    doc = json.loads(out)
    assert doc["format_version"] == "1.0"
    a, b = doc["units"]
    assert (a["stack"], a["target"], a["status"]) == ("a", "local emulator", "changes")
    assert (b["stack"], b["target"], b["status"]) == ("b", None, "failed")  # never connected


def test_a_baseline_that_is_no_commit_names_the_git_command(tmp_path: Path) -> None:
    write(tmp_path, {"a/a.yaml": "stack: a\nqueues:\n  qa: {}\n"})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.email=dev@example.com", "-c", "user.name=dev", "commit", "-qm", "base")
    for args in (("plan", "--local"), ("plan", "a", "--local")):
        code, out, err = cmq(tmp_path, *args, "--baseline", "no-such-ref")
        assert (code, out, err) == (1, "", "error: --baseline: git rev-parse: git failed\n")


def test_a_file_belongs_to_the_project_around_it_seen_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cmqinfra.project.paths import root_of

    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    write(project, {"cmqinfra.yaml": "version: 1\n", "tests/flow.cmqtest.yaml": "name: x\n"})
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert root_of(project / "tests" / "flow.cmqtest.yaml") == project.resolve()
    assert root_of(tmp_path / "loose.yaml") is None  # no project, not under the working directory


def test_the_baseline_tree_takes_a_directory_named_after_its_files(tmp_path: Path) -> None:
    import io
    import tarfile

    from cmqinfra.project.baseline import _extract

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = b"stack: a\n"
        info = tarfile.TarInfo("stacks/a.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        folder = tarfile.TarInfo("stacks")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
    _extract(buffer.getvalue(), tmp_path)
    assert (tmp_path / "stacks/a.yaml").read_text() == "stack: a\n"


def test_an_unknown_reference_names_the_ones_a_project_knows(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": "version: 1\nstacks:\n  shop: {path: shop}\n",
        "shop/shop.yaml": "stack: shop\nqueues:\n  s: {tags: {team: '${team}'}}\n",
    })
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1
    assert ("shop/shop.yaml:3:20: error: ${team} is not a reference this project knows (${var.NAME}, "
            "${env.name} or ${env.region}; $${ for a literal ${)") in err, err


def test_validate_checks_each_unit_against_the_projects_policies(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": """
            version: 1
            environments:
              dev: {region: ap-guangzhou}
              prod: {region: ap-shanghai}
            stacks:
              shop: {path: shop}
            policies:
              prod-protected: {rule: protectRequired, environments: [prod], kinds: [queue]}
              names: {rule: naming, severity: warning, pattern: "[a-z]+"}
            """,
        "shop/shop.yaml": "stack: shop\nqueues:\n  s: {}\n  Big: {protect: true}\n",
    })
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1
    assert out == "ok: shop[dev]: 2 queues, 0 topics, 0 subscriptions\n"
    # dev: a warning, shown, and the unit stays valid; prod: the error fails the unit
    assert err.splitlines() == [
        "shop/shop.yaml:4:3: warning: queue/Big: name 'Big' does not match the pattern '[a-z]+' "
        "[policy names at cmqinfra.yaml:9:3] (hint: declare `policyExceptions: [{policy: names, "
        "reason: ...}]` on the resource)",
        "shop/shop.yaml:3:3: error: queue/s: is not protected (protect: true) [policy prod-protected "
        "at cmqinfra.yaml:8:3] (hint: declare `policyExceptions: [{policy: prod-protected, "
        "reason: ...}]` on the resource)",
        "failed: shop[prod]: 1 error",
    ]


def test_the_plan_comment_names_the_commit_of_the_project_it_was_run_for(tmp_path: Path) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    write(project, {"a/a.yaml": "stack: a\nqueues:\n  qa: {}\n"})
    elsewhere.mkdir()
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "-c", "user.email=dev@example.com", "-c", "user.name=dev", "commit", "-qm", "base")
    head = git(project, "rev-parse", "HEAD").strip()
    code, md, err = cmq(elsewhere, "plan", "--project", str(project), "--local", "--format", "markdown")
    assert code == 0, err
    assert f"Planned at commit `{head[:12]}`, " in md, md


def test_a_plan_saved_against_the_local_emulator_applies_there_without_repeating_the_flag(
    tmp_path: Path,
) -> None:
    config = "version: 1\nenvironments:\n  dev: {region: ap-guangzhou%s}\nstacks:\n  a: {path: a}\n"
    write(tmp_path, {"cmqinfra.yaml": config % "", "a/a.yaml": "stack: a\nqueues:\n  qa: {}\n"})
    code, _, err = cmq(tmp_path, "plan", "--local", "--out", "p.plan")
    assert code == 0, err
    code, out, err = cmq(tmp_path, "apply", "--plan", "p.plan")
    assert code == 0, err
    assert "[1/1] a[dev]: queue/qa: created" in out
    code, out, err = cmq(tmp_path, "plan", "--local", "--detailed-exitcode")
    assert code == 0, out + err  # it was applied to the local emulator: nothing left to do
    # the environment names an endpoint since: the plan's place is no longer this run's
    code, _, err = cmq(tmp_path, "plan", "--local", "--destroy", "--out", "q.plan")
    assert code == 0, err
    (tmp_path / "cmqinfra.yaml").write_text(config % ', endpoint: "http://127.0.0.1:9"')
    code, out, err = cmq(tmp_path, "apply", "--plan", "q.plan", "--allow-endpoint", "http://127.0.0.1:9")
    assert code == 1 and "created" not in out and "destroyed" not in out
    assert err == ("error: q.plan: the saved plan's targets are not this run's: a[dev]: the plan was made "
                   "against local emulator, this run's configuration says endpoint http://127.0.0.1:9; "
                   "nothing was changed\n")


def test_a_dead_letter_queue_of_another_stack_that_has_one_itself_is_refused_by_name(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": "version: 1\nenvironments:\n  dev: {region: ap-guangzhou}\n"
                         "stacks:\n  shop: {path: shop}\n  billing: {path: billing}\n",
        "billing/q.yaml": "stack: billing\nqueues:\n"
                          "  dead: {deadLetter: {queue: grave, maxReceiveCount: 3}}\n  grave: {}\n",
        "shop/q.yaml": "stack: shop\nqueues:\n  src: {deadLetter: {queue: dead, maxReceiveCount: 5}}\n",
    })
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1 and out == "ok: billing[dev]: 2 queues, 0 topics, 0 subscriptions\n"
    assert err.splitlines() == [
        'shop/q.yaml:3:3: error: queue "src" uses "dead" (another stack) as its dead-letter queue, '
        'but "dead" has a dead-letter queue itself ("grave"): dead-letter queues do not nest',
        "failed: shop[dev]: 1 error",
    ]


def test_six_sources_across_stacks_on_one_dead_letter_queue_are_fine_and_a_seventh_is_not(
    tmp_path: Path,
) -> None:
    def sources(prefix: str, count: int) -> str:
        return "".join(f"  {prefix}{i}: {{deadLetter: {{queue: dead, maxReceiveCount: 3}}}}\n"
                       for i in range(count))

    write(tmp_path, {
        "cmqinfra.yaml": "version: 1\nenvironments:\n  dev: {region: ap-guangzhou}\n"
                         "stacks:\n  shop: {path: shop}\n  billing: {path: billing}\n",
        "billing/q.yaml": "stack: billing\nqueues:\n  dead: {}\n" + sources("b", 3),
        "shop/q.yaml": "stack: shop\nqueues:\n" + sources("s", 3),
    })
    code, out, err = cmq(tmp_path, "validate")
    assert (code, err) == (0, ""), err
    write(tmp_path, {"shop/q.yaml": "stack: shop\nqueues:\n" + sources("s", 4)})
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1
    assert err.splitlines() == [
        # the units in their order (shop's four sources first): billing's third is the seventh
        'billing/q.yaml:6:3: error: dead-letter queue "dead" would serve 7 source queues across the '
        "project's stacks; the service allows at most 6",
        "failed: billing[dev]: 1 error",
    ]


def test_two_environments_on_one_place_are_refused_with_the_way_out(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": "version: 1\nenvironments:\n  dev: {region: ap-guangzhou}\n"
                         "  prod: {region: ap-guangzhou}\nstacks:\n  shop: {path: shop}\n",
        "shop/q.yaml": "stack: shop\nqueues:\n  s: {}\n",
    })
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1 and out == "ok: shop[dev]: 1 queue, 0 topics, 0 subscriptions\n"
    assert err.splitlines() == [
        "cmqinfra.yaml:4:3: error: shop[dev] and shop[prod] would both manage stack 'shop' on the same "
        "endpoint, account and region: each would delete what the other creates (hint: give one "
        "environment a namePrefix or nameSuffix, or another region, endpoint or account)",
        "failed: shop[prod]: 1 error",
    ]


def test_a_boolean_inside_a_string_is_written_as_yaml_writes_it(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": """
            version: 1
            variables:
              audited: {type: boolean, default: true}
              paged: {type: boolean, default: false}
            environments:
              dev: {region: ap-guangzhou}
            stacks:
              shop: {path: shop}
            """,
        "shop/shop.yaml": "stack: shop\nqueues:\n"
                          "  s: {tags: {audit: 'audit-${var.audited}', page: 'page-${var.paged}'}}\n",
    })
    code, out, err = cmq(tmp_path, "resolve", "shop", "--env", "dev")
    assert code == 0, err
    assert "      audit: audit-true\n      page: page-false\n" in out, out


def test_a_stack_whose_manifest_is_a_link_out_of_the_project_is_refused_at_the_link(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write(tmp_path, {"outside.yaml": "stack: x\n"})
    write(project, {"cmqinfra.yaml": "version: 1\nstacks:\n  shop: {path: shop}\n  odd: {path: odd}\n",
                    "shop/q.yaml": "stack: shop\nqueues:\n  s: {}\n"})
    (project / "shop" / "o.yaml").symlink_to(Path("..") / ".." / "outside.yaml")
    (project / "odd" / "only-a-directory.yaml").mkdir(parents=True)
    code, out, err = cmq(project, "validate")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        "shop/o.yaml:1:1: error: manifest 'shop/o.yaml' is outside the project root (after following "
        "links); only files inside the project are read",
        "odd:1:1: error: the stack has no manifest files",
        "failed: shop: 1 error",
        "failed: odd: 1 error",
    ]


def test_an_error_in_an_interpolated_string_is_shown_where_the_value_was_written(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": """
            version: 1
            variables:
              host: {type: string}
            environments:
              dev: {region: ap-guangzhou, valueFiles: [env/dev.yaml]}
            stacks:
              shop: {path: shop}
            """,
        "env/dev.yaml": 'host: "bad host"\n',
        "shop/q.yaml": "stack: shop\ntopics:\n  t:\n    subscriptions:\n"
                       '      hook: {protocol: http, endpoint: "http://${var.host}/x"}\n',
    })
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1
    assert err.splitlines() == [
        'env/dev.yaml:1:7: error: an http subscription\'s endpoint must not contain spaces (got "http://bad '
        'host/x") (hint: the value comes from a variable used at shop/q.yaml:5:40)',
        "failed: shop[dev]: 1 error",
    ]


def test_an_unknown_environment_is_refused_naming_those_there_are(tmp_path: Path) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": "version: 1\nenvironments:\n  dev: {region: ap-guangzhou}\n"
                         "  prod: {region: ap-shanghai}\nstacks:\n  shop: {path: shop}\n",
        "shop/q.yaml": "stack: shop\nqueues:\n  s: {}\n",
        "alone/a/q.yaml": "stack: a\nqueues:\n  s: {}\n",
    })
    code, out, err = cmq(tmp_path, "validate", "--env", "nope")
    assert (code, out, err) == (1, "", "error: no environment named 'nope' in the project "
                                       "(environments: dev, prod)\n")
    code, out, err = cmq(tmp_path / "alone", "validate", "--env", "nope")
    assert (code, out, err) == (1, "", "error: no environment named 'nope' in the project "
                                       "(environments: none)\n")


def test_an_unreadable_operator_policy_file_fails_every_unit_in_one_line_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, {
        "cmqinfra.yaml": "version: 1\nenvironments:\n  dev: {region: ap-guangzhou}\n"
                         "stacks:\n  shop: {path: shop}\n",
        "shop/q.yaml": "stack: shop\nqueues:\n  s: {}\n",
    })
    missing = tmp_path / "no-such-policies.yaml"
    monkeypatch.setenv("CMQINFRA_POLICIES", str(missing))
    code, out, err = cmq(tmp_path, "validate")
    assert (code, out) == (1, "")
    assert err.splitlines() == [f"{missing}:1:1: error: cannot read file: No such file or directory",
                                "failed: shop[dev]: 1 error"]


def test_a_unit_with_no_region_anywhere_is_told_where_a_region_can_come_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no tccli profile
    monkeypatch.delenv("TCCLI_PROFILE", raising=False)
    write(tmp_path, {
        "p/cmqinfra.yaml": "version: 1\nenvironments:\n  dev: {}\nstacks:\n  shop: {path: shop}\n",
        "p/shop/q.yaml": "stack: shop\nqueues:\n  s: {}\n",
        "d/a/q.yaml": "stack: a\nqueues:\n  s: {}\n",
    })
    code, out, err = cmq(tmp_path / "p", "plan")
    assert code == 1
    assert err.splitlines()[0] == ("error: shop[dev]: no region: give its environment a region, set region "
                                   "in the manifest, pass --region or set TENCENTCLOUD_REGION")
    code, out, err = cmq(tmp_path / "d", "plan")
    assert code == 1
    assert err.splitlines()[0] == ("error: a: no region: set region in the manifest, pass --region, set "
                                   "TENCENTCLOUD_REGION, or configure a tccli profile region")


def test_stacks_on_one_account_ask_for_its_untagged_count_once(tmp_path: Path) -> None:
    from cmqinfra.project import load_project
    from cmqinfra.project.resolve import resolve_all
    from cmqinfra.run.connections import Connections
    from cmqinfra.run.runner import plan_project
    from cmqinfra.run.session import TargetOptions

    emu = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=False)
    try:
        stacks = {f"s{i}": {"path": f"s{i}"} for i in range(4)}
        files = {f"s{i}/m.yaml": f"stack: s{i}\nqueues:\n  q{i}: {{}}\n" for i in range(4)}
        write(tmp_path / "repo", {"cmqinfra.yaml": f"environments:\n  dev: {{endpoint: {emu.url}}}\n"
                                                   f"stacks: {stacks}\n", **files})
        project = load_project(tmp_path / "repo")
        connections = Connections(TargetOptions(), tmp_path)
        try:
            items, _ = plan_project(resolve_all(project, project.units()), TargetOptions(), connections)
            calls = connections.call_counts()
        finally:
            connections.close()
    finally:
        emu.stop()
    assert [i.status for i in items] == ["changes"] * 4
    # each stack lists what it owns (one call per kind); the account's untagged resources are
    # counted once for all four (two calls per kind), not once per stack (twelve)
    assert calls == {"DescribeCmqQueues": 6, "DescribeCmqTopics": 6}, calls


def test_local_and_endpoint_together_are_refused_per_unit(tmp_path: Path) -> None:
    write(tmp_path, {"a/q.yaml": "stack: a\nqueues:\n  s: {}\n"})
    code, out, err = cmq(tmp_path, "plan", "--local", "--endpoint", "http://127.0.0.1:9")
    assert code == 1 and "created" not in out
    assert err.splitlines() == ["error: a: --local and --endpoint cannot be used together",
                                "error: 1 stack(s) failed or were refused: a; nothing can be applied"]


def test_a_project_file_that_was_not_utf8_at_the_base_counts_as_changed(tmp_path: Path) -> None:
    write(tmp_path, {"a/q.yaml": "stack: a\nqueues:\n  qa: {}\n",
                     "b/q.yaml": "stack: b\nqueues:\n  qb: {}\n"})
    stacks = "stacks:\n  a: {path: a}\n  b: {path: b}\n"
    (tmp_path / "cmqinfra.yaml").write_bytes(b"version: 1\n# caf\xe9\n" + stacks.encode())
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.email=dev@example.com", "-c", "user.name=dev", "commit", "-qm", "base")
    (tmp_path / "cmqinfra.yaml").write_text("version: 1\n" + stacks)
    code, out, err = cmq(tmp_path, "plan", "--local", "--changed-since", "main")
    assert code == 0, err
    assert "Traceback" not in err
    # the base's project file cannot be read: every unit is affected
    assert "+ queue \"qa\"" in out and "+ queue \"qb\"" in out, out
