"""Environments and variables: interpolation, types, affixes, and diagnostics located where the
offending value was written (the value file, cmqinfra.yaml or the base manifest)."""

from __future__ import annotations

from pathlib import Path

from helpers import cmq, write

from cmqinfra.project import load_project, resolve_unit

CONFIG = """
    version: 1
    variables:
      retention: {type: integer, default: 3600}
      keys: {type: list, default: ["order.*"]}
      team: {type: string, default: core}
    environments:
      dev:
        namePrefix: dev-
        values: {retention: 600}
      prod:
        region: ap-shanghai
        valueFiles: [env/prod.yaml]
    stacks:
      shop: {path: shop}
    """
MANIFEST = """
    stack: shop
    region: ap-guangzhou
    queues:
      dead: {}
      orders:
        msgRetentionSeconds: "${var.retention}"
        deadLetter: {queue: dead, maxReceiveCount: 2}
        tags: {team: "team-${var.team}", literal: "$${not.a.variable}"}
    topics:
      events:
        filterType: routingKey
        subscriptions:
          to-orders: {protocol: queue, endpoint: orders, bindingKeys: "${var.keys}"}
    """


def project(tmp_path: Path, prod_values: str = "retention: 7200\n", manifest: str = MANIFEST,
            config: str = CONFIG) -> Path:
    write(tmp_path, {"cmqinfra.yaml": config, "env/prod.yaml": prod_values, "shop/shop.yaml": manifest})
    return tmp_path


def resolved(root: Path, env: str):  # type: ignore[no-untyped-def]
    p = load_project(root)
    assert p.ok, [d.render() for d in p.diagnostics]
    return resolve_unit(p, p.units(environments=[env])[0])


def test_values_keep_their_type_and_environments_differ(tmp_path: Path) -> None:
    root = project(tmp_path)
    dev, prod = resolved(root, "dev").stack, resolved(root, "prod").stack
    assert dev is not None and prod is not None
    assert {q.name: q.msg_retention_seconds for q in dev.queues} == {"dev-dead": 3600, "dev-orders": 600}
    assert {q.name: q.msg_retention_seconds for q in prod.queues} == {"dead": 3600, "orders": 7200}
    orders = next(q for q in dev.queues if q.name == "dev-orders")
    assert orders.dead_letter is not None and orders.dead_letter.queue == "dev-dead"
    assert dict(orders.tags) == {"team": "team-core", "literal": "${not.a.variable}"}
    sub = dev.subscriptions[0]
    assert (sub.topic, sub.endpoint, sub.binding_keys) == ("dev-events", "dev-orders", ("order.*",))
    assert (dev.name, prod.name) == ("dev-shop", "shop")
    # The environment's region plays the manifest's role; without one the manifest's stays.
    assert (dev.region, prod.region) == ("ap-guangzhou", "ap-shanghai")


def test_a_stacks_own_values_win_over_its_environments(tmp_path: Path) -> None:
    config = CONFIG.replace("shop: {path: shop}",
                            "shop: {path: shop, values: {prod: {retention: 9000}, all: {team: ops}}}")
    root = project(tmp_path, config=config)
    dev, prod = resolved(root, "dev").stack, resolved(root, "prod").stack
    assert dev is not None and prod is not None
    assert {q.name: q.msg_retention_seconds for q in prod.queues}["orders"] == 9000
    assert {q.name: q.msg_retention_seconds for q in dev.queues}["dev-orders"] == 600
    assert dict(next(q for q in dev.queues if q.name == "dev-orders").tags)["team"] == "team-ops"


def test_an_interpolated_stack_name_gets_the_affixes_too(tmp_path: Path) -> None:
    manifest = MANIFEST.replace("stack: shop", 'stack: "${var.team}"')
    dev = resolved(project(tmp_path, manifest=manifest), "dev").stack
    assert dev is not None and dev.name == "dev-core"


def test_a_bad_value_is_reported_in_the_value_file_where_it_was_written(tmp_path: Path) -> None:
    root = project(tmp_path, prod_values="retention: 5\n")
    result = resolved(root, "prod")
    assert result.stack is None
    [d] = result.diagnostics
    assert d.render().startswith(
        f"{root}/env/prod.yaml:1:12: error: msgRetentionSeconds must be at least 30 (got 5) "
        f"(hint: the value comes from a variable used at {root}/shop/shop.yaml:6:26)")
    # The same manifest is fine in the other environment.
    assert resolved(root, "dev").ok


def test_a_wrongly_typed_value_is_refused_at_its_declaration_type(tmp_path: Path) -> None:
    root = project(tmp_path, prod_values="retention: soon\n")
    [d] = load_project(root).diagnostics
    assert d.render().startswith(f'{root}/env/prod.yaml:1:12: error: variable "retention" must be an integer '
                                 '(got "soon")')


def test_unknown_and_unset_variables_are_located_at_the_use(tmp_path: Path) -> None:
    manifest = MANIFEST.replace('"${var.retention}"', '"${var.retension}"')
    result = resolved(project(tmp_path, manifest=manifest), "dev")
    [d] = result.diagnostics  # once: not again as the literal text the reference left
    assert d.render() == (f'{tmp_path}/shop/shop.yaml:6:26: error: unknown variable "retension" '
                          '(hint: did you mean "retention"?)')
    config = CONFIG.replace("team: {type: string, default: core}", "team: {type: string}")
    result = resolved(project(tmp_path, config=config), "dev")
    [d] = result.diagnostics
    assert d.message == "variable \"team\" has no value in environment 'dev' and no default"
    assert (d.location.line, d.location.column) == (8, 18)


def test_an_unresolved_reference_is_reported_once(tmp_path: Path) -> None:
    # Left as its literal text, the reference would also fail the http endpoint rule.
    hook = "\n          hook: {protocol: http, endpoint: \"${var.hook}\"}\n"
    manifest = MANIFEST.rstrip() + hook
    result = resolved(project(tmp_path, manifest=manifest), "dev")
    assert [d.message for d in result.diagnostics] == ['unknown variable "hook"']


def test_a_value_file_naming_an_undeclared_variable_is_an_error(tmp_path: Path) -> None:
    root = project(tmp_path, prod_values="retention: 7200\nretentoin: 1\n")
    [d] = load_project(root).diagnostics
    assert d.render().startswith(f'{root}/env/prod.yaml:2:1: error: unknown variable "retentoin"')


def test_environments_sharing_a_target_must_not_share_names(tmp_path: Path) -> None:
    config = CONFIG.replace("        namePrefix: dev-\n", "")
    config = config.replace("region: ap-shanghai", "region: ap-guangzhou")
    root = project(tmp_path, config=config)
    # dev has no region of its own: the manifest's, which is prod's.
    code, out, err = cmq(root, "validate")
    assert code == 1
    assert out == "ok: shop[dev]: 2 queues, 1 topic, 1 subscription\n"
    assert "shop[dev] and shop[prod] would both manage stack 'shop' on the same endpoint" in err
    assert "failed: shop[prod]: 1 error" in err


def test_resolve_prints_the_environments_manifest(tmp_path: Path) -> None:
    root = project(tmp_path)
    code, out, err = cmq(root, "resolve", "shop", "--env", "dev")
    assert code == 0, err
    assert "stack: dev-shop\n" in out and "  dev-orders:\n    msgRetentionSeconds: 600\n" in out
    assert "region: ap-guangzhou\n" in out  # the manifest's: dev names no region
    code, out, err = cmq(root, "resolve", "shop", "--env", "prod")
    assert code == 0 and "region: ap-shanghai\n" in out and "ap-guangzhou" not in out
    code, out, err = cmq(root, "resolve", "shop")
    assert code == 1 and "has several environments (dev, prod): name one with --env" in err
    write(root, {"env/prod.yaml": "retention: 5\n"})
    code, out, err = cmq(root, "resolve", "shop", "--env", "prod")
    assert code == 1 and out == "" and "env/prod.yaml:1:12: error: msgRetentionSeconds" in err


def test_project_file_errors_are_located(tmp_path: Path) -> None:
    write(tmp_path, {"cmqinfra.yaml": "stacks:\n  shop: {path: shop, enviroments: [dev]}\n",
                     "shop/a.yaml": "stack: a\n"})
    code, _, err = cmq(tmp_path, "validate")
    assert code == 1
    assert ('cmqinfra.yaml:2:22: error: unknown field "enviroments" '
            '(hint: did you mean "environments"?)') in err


def test_missing_paths_are_located_in_the_project_file(tmp_path: Path) -> None:
    config = CONFIG.replace("valueFiles: [env/prod.yaml]", "valueFiles: [env/prd.yaml]").replace(
        "shop: {path: shop}", "shop: {path: [shop, shop2]}")
    root = project(tmp_path, config=config)
    code, _, err = cmq(root, "plan")
    assert code == 1
    assert err.splitlines() == [
        'cmqinfra.yaml:12:18: error: value file "env/prd.yaml" does not exist',
        'cmqinfra.yaml:14:23: error: stack "shop": no such file or directory "shop2"',
        "error: 2 error(s) in the project",
    ]


def test_validate_json_and_markdown_name_the_stack_and_environment(tmp_path: Path) -> None:
    import json

    root = project(tmp_path, prod_values="retention: 5\n")
    code, out, _ = cmq(root, "validate", "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["valid"] is False
    assert [(u["stack"], u["environment"], u["valid"]) for u in doc["units"]] == [
        ("shop", "dev", True), ("shop", "prod", False)]
    [d] = doc["units"][1]["diagnostics"]
    assert (d["file"], d["line"], d["column"], d["range"]["filename"]) == (
        "env/prod.yaml", 1, 12, "env/prod.yaml")  # relative to the project, as given

    code, out, _ = cmq(root, "validate", "--format", "markdown")
    assert code == 1
    assert out.startswith("### :x: cmqinfra validate: 1 of 2 stack(s) valid\n")
    assert "- `shop[dev]`: 2 queues, 1 topic, 1 subscription\n" in out
    assert "- **`shop[prod]`: 1 error**\n  - `env/prod.yaml:1:12: error: msgRetentionSeconds" in out


def test_a_broken_project_still_gets_a_comment(tmp_path: Path) -> None:
    config = CONFIG.replace("shop: {path: shop}", "shop: {path: shops}")
    root = project(tmp_path, config=config)
    code, out, err = cmq(root, "plan", "--format", "markdown")
    assert code == 1
    assert out.startswith("### :x: cmqinfra plan failed\n\n**1 error(s) in the project**\n")
    assert '`cmqinfra.yaml:14:16: error: stack "shop": no such file or directory "shops"`' in out
