"""``cmqinfra.yaml`` as read: every value built, every problem worded at its line, as ``validate``
prints them (the behaviour end to end is in the other project tests; these pin each field and
each diagnostic's words and place)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cmqinfra.model import SourceLocation
from cmqinfra.project.config import Located, read_config, type_matches
from cmqinfra.project.config import Variable as Var
from tests.project.helpers import cmq, write

GOOD = """
variables:
  retention: {type: integer, default: 60}
  name: {type: string}
environments:
  dev:
    region: ap-guangzhou
    endpoint: http://127.0.0.1:9
    account: "100"
    allowedAccounts: ["200", "100"]
    credentials: {secretId: DEV_SECRET_ID, secretKey: DEV_SECRET_KEY, sessionToken: DEV_SESSION_TOKEN}
    namePrefix: d-
    nameSuffix: -x
    valueFiles: [dev.yaml]
    values: {name: shop}
  prod:
    allowedAccounts: ["300"]
    credentials: {secretId: PROD_SECRET_ID, secretKey: PROD_SECRET_KEY}
stacks:
  shop: {path: shop, environments: [prod], values: {all: {retention: 1}, prod: {retention: 2}}}
  billing: {path: [billing, shared]}
"""


def _rendered(root: Path) -> list[str]:
    config, diags = read_config(root)
    assert config is None
    return [d.render().replace(str(root) + os.sep, "") for d in diags]


def test_a_good_file_is_built_field_by_field(tmp_path: Path) -> None:
    write(tmp_path, {"cmqinfra.yaml": GOOD, "dev.yaml": "name: x\n", "shop/s.yaml": "stack: s\n",
                     "billing/b.yaml": "stack: b\n", "shared/c.yaml": "stack: c\n"})
    config, diags = read_config(tmp_path)
    assert diags == [] and config is not None
    file = str(tmp_path / "cmqinfra.yaml")
    assert config.file == file
    retention = config.variable("retention")
    assert retention is not None and config.variable("nothing") is None
    assert (retention.name, retention.type) == ("retention", "integer")
    assert retention.location == SourceLocation(file, 2, 3)
    assert retention.default is not None and retention.default.value == 60
    assert retention.default.location == SourceLocation(file, 2, 39)
    name = config.variable("name")
    assert name is not None and name.default is None
    dev = config.environment("dev")
    assert dev is not None and config.environment("qa") is None
    assert (dev.region, dev.endpoint, dev.account) == ("ap-guangzhou", "http://127.0.0.1:9", "100")
    assert dev.allowed_accounts == ("100", "200")  # the account first, each once
    assert dev.credentials is not None
    assert (dev.credentials.secret_id, dev.credentials.secret_key, dev.credentials.session_token) == (
        "DEV_SECRET_ID", "DEV_SECRET_KEY", "DEV_SESSION_TOKEN")
    assert (dev.name_prefix, dev.name_suffix, dev.value_files) == ("d-", "-x", ("dev.yaml",))
    assert [(n, v.value, v.location) for n, v in dev.values] == [
        ("name", "shop", SourceLocation(file, 14, 20))]
    assert dev.location == SourceLocation(file, 5, 3)
    assert dev.endpoint_location == SourceLocation(file, 7, 15)
    prod = config.environment("prod")
    assert prod is not None
    assert (prod.region, prod.endpoint, prod.account, prod.endpoint_location) == (None, None, None, None)
    assert prod.allowed_accounts == ("300",)
    assert prod.credentials is not None and prod.credentials.session_token is None
    assert (prod.name_prefix, prod.name_suffix, prod.value_files, prod.values) == ("", "", (), ())
    assert [s.name for s in config.stacks] == ["shop", "billing"]
    shop, billing = config.stacks
    assert (shop.paths, shop.environments) == (("shop",), ("prod",))
    assert shop.location == SourceLocation(file, 19, 3)
    assert [(env, [(n, v.value) for n, v in vals]) for env, vals in shop.values] == [
        ("all", [("retention", 1)]), ("prod", [("retention", 2)])]
    assert (billing.paths, billing.environments, billing.values) == (("billing", "shared"), None, ())
    assert config.data["stacks"]["billing"] == {"path": ["billing", "shared"]}
    assert config.policies == ()


def test_every_problem_is_reported_at_its_line(tmp_path: Path) -> None:
    write(tmp_path, {"cmqinfra.yaml": """
        variables:
          retention: {type: integer, default: "x"}
          name: {type: string}
        environments:
          dev:
            region: ap-guangzhou
            values: {retentoin: 3, name: 5, zzz: 1}
            valueFiles: [missing.yaml, ../out.yaml, here.yaml]
            credentials: {secretId: GITHUB_TOKEN, secretKey: DEV_SECRET_KEY, sessionToken: X_SESSION}
          prod: {}
        stacks:
          shop:
            path: [shop, nope, ../up]
            environments: [dve, prod, qqq]
            values:
              all: {name: "a"}
              prd: {name: 1}
          other: {path: ../elsewhere}
          gone: {path: gone}
        """, "here.yaml": "name: x\n", "shop/s.yaml": "stack: s\n"})
    assert _rendered(tmp_path) == [
        'cmqinfra.yaml:2:39: error: variable "retention" must be an integer (got "x") '
        '(hint: declared as integer at cmqinfra.yaml:2:3)',
        'cmqinfra.yaml:7:14: error: unknown variable "retentoin" (hint: did you mean "retention"?)',
        'cmqinfra.yaml:7:34: error: variable "name" must be a string (got 5) '
        '(hint: declared as string at cmqinfra.yaml:3:3)',
        'cmqinfra.yaml:7:37: error: unknown variable "zzz" (hint: known: retention, name)',
        "cmqinfra.yaml:9:29: error: credentials.secretId names the variable 'GITHUB_TOKEN'; a secretId "
        "variable's name must be upper case and end in _SECRET_ID (e.g. PROD_SECRET_ID), so no other "
        "variable is ever sent",
        "cmqinfra.yaml:9:84: error: credentials.sessionToken names the variable 'X_SESSION'; a sessionToken "
        "variable's name must be upper case and end in _SESSION_TOKEN (e.g. PROD_SESSION_TOKEN), so no "
        "other variable is ever sent",
        'cmqinfra.yaml:8:18: error: value file "missing.yaml" does not exist',
        "cmqinfra.yaml:8:32: error: value file '../out.yaml' is outside the project root (after following "
        "links); only files inside the project are read",
        'cmqinfra.yaml:13:18: error: stack "shop": no such file or directory "nope"',
        "cmqinfra.yaml:13:24: error: stack \"shop\": path '../up' is outside the project root (after "
        "following links); only files inside the project are read",
        'cmqinfra.yaml:14:20: error: unknown environment "dve" (hint: did you mean "dev"?)',
        'cmqinfra.yaml:14:31: error: unknown environment "qqq" (hint: known: dev, prod)',
        'cmqinfra.yaml:17:7: error: unknown environment "prd" (hint: did you mean "prod"?)',
        'cmqinfra.yaml:17:19: error: variable "name" must be a string (got 1) '
        '(hint: declared as string at cmqinfra.yaml:3:3)',
        "cmqinfra.yaml:18:17: error: stack \"other\": path '../elsewhere' is outside the project root "
        "(after following links); only files inside the project are read",
        'cmqinfra.yaml:19:16: error: stack "gone": no such file or directory "gone"',
    ]


def test_a_value_of_an_undeclared_variable_with_none_declared_says_where_to_declare(tmp_path: Path) -> None:
    write(tmp_path, {"cmqinfra.yaml": """
        environments:
          dev: {values: {x: 1}}
        stacks:
          shop: {path: shop, values: {qa: {}}}
        """, "shop/s.yaml": "stack: s\n"})
    assert _rendered(tmp_path) == [
        'cmqinfra.yaml:2:18: error: unknown variable "x" '
        '(hint: declare it under `variables:` in cmqinfra.yaml)',
        'cmqinfra.yaml:4:31: error: unknown environment "qa" (hint: known: dev, all)',
    ]


def test_a_project_file_that_is_a_link_out_of_the_root_is_not_read(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("stacks: {x: {path: x}}\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "cmqinfra.yaml").symlink_to(outside)
    assert _rendered(root) == [
        "cmqinfra.yaml:1:1: error: the project file 'cmqinfra.yaml' is outside the project root (after "
        "following links); only files inside the project are read"]


def test_a_schema_error_stops_before_building(tmp_path: Path) -> None:
    write(tmp_path, {"cmqinfra.yaml": "stacks: {}\nvariables: {v: {type: integer, default: x}}\n"})
    rendered = _rendered(tmp_path)
    assert len(rendered) == 1 and rendered[0].startswith("cmqinfra.yaml:1:")


def test_validate_prints_them_and_fails(tmp_path: Path) -> None:
    config = "environments: {dev: {}}\nstacks:\n  shop: {path: shop, environments: [qa]}\n"
    write(tmp_path, {"cmqinfra.yaml": config,
                     "shop/s.yaml": "stack: s\nqueues: {q: {}}\n"})
    code, out, err = cmq(tmp_path, "validate")
    assert code == 1
    assert 'cmqinfra.yaml:3:37: error: unknown environment "qa" (hint: known: dev)' in out + err


@pytest.mark.parametrize(("kind", "good", "bad"), [
    ("string", "a", 1), ("integer", 1, True), ("integer", -3, 1.5), ("number", 1.5, False),
    ("number", 2, "2"),
    ("boolean", False, 0), ("map", {}, []), ("list", [], {}),
])
def test_each_type_takes_its_values_only(kind: str, good: object, bad: object) -> None:
    assert type_matches(kind, good)
    assert not type_matches(kind, bad)


@pytest.mark.parametrize(("kind", "words", "value", "shown"), [
    ("number", "a number", "x", '"x"'), ("boolean", "true or false", 1, "1"),
    ("map", "a mapping", [1], "a list"), ("list", "a list", {"a": 1}, "a mapping"),
])
def test_each_type_is_named_in_words(tmp_path: Path, kind: str, words: str, value: object,
                                     shown: str) -> None:
    from cmqinfra.manifest.source import read_document
    from cmqinfra.project.config import check_value

    (tmp_path / "v.yaml").write_text("v: 1\n")
    doc, _ = read_document(str(tmp_path / "v.yaml"))
    assert doc is not None
    where = SourceLocation("cmqinfra.yaml", 4, 5)
    (diag,) = check_value(Var("v", kind, None, where), Located(value, doc, ("v",)))
    assert diag.message == f'variable "v" must be {words} (got {shown})'
    assert diag.hint == "declared as " + kind + " at cmqinfra.yaml:4:5"
