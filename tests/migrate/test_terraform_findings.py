"""import-terraform on the root modules teams really have: aliased providers, for_each / count
against the state, local child modules, variables and arithmetic without a state, lifecycle,
Terraform's variable precedence and string-to-bool conversion, and hostile input."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from cmqinfra.migrate.sources import read_sources
from cmqinfra.migrate.terraform import TerraformSources, Translation, translate

sys.path.insert(0, str(Path(__file__).parents[1] / "gitops"))
sys.path.insert(0, str(Path(__file__).parent))
from cli_helpers import run  # noqa: E402
from test_terraform_translate import rendered, state_of, tr  # noqa: E402


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def from_dir(root: Path, variables: dict | None = None, **kwargs: object) -> Translation:
    sources, problems = read_sources([str(root)], variables or {}, **kwargs)  # type: ignore[arg-type]
    assert [d for d in problems if d.severity.value == "error"] == [], [d.render() for d in problems]
    return translate(sources)


ALIASED = """provider "tencentcloud" {
  region = "ap-guangzhou"
}
provider "tencentcloud" {
  alias  = "shanghai"
  region = "ap-shanghai"
}
resource "tencentcloud_tcmq_queue" "local" {
  queue_name = "orders"
}
resource "tencentcloud_tcmq_queue" "remote" {
  provider   = tencentcloud.shanghai
  queue_name = "orders-sh"
}
"""


# ---------------------------------------------------------------- 1. aliased providers


def test_aliased_provider_resource_is_an_error_naming_it_without_provider_selection() -> None:
    t = tr(ALIASED)
    assert [q.name for q in t.queues] == ["orders"]  # an error: the CLI writes nothing
    assert [d.render() for d in t.errors] == [
        "main.tf:12:3: error: tencentcloud_tcmq_queue.remote uses provider tencentcloud.shanghai (region "
        "ap-shanghai), another region or account than the manifest's (tencentcloud); a manifest holds one "
        "(hint: import one manifest per provider: --provider tencentcloud.shanghai for its resources, "
        "--provider tencentcloud for the others)"
    ]


def test_provider_selection_gives_one_manifest_per_region() -> None:
    config = tr(ALIASED).diagnostics  # parse once more per provider below
    assert config
    from cmqinfra.migrate.hclsource import parse_hcl

    parsed, _ = parse_hcl("main.tf", ALIASED)
    shanghai = translate(TerraformSources((parsed,), provider="tencentcloud.shanghai"))
    assert shanghai.errors == () and shanghai.region == "ap-shanghai"
    assert [q.name for q in shanghai.queues] == ["orders-sh"]
    assert (
        "tencentcloud_tcmq_queue.local not translated: it uses provider tencentcloud" in rendered(shanghai)[0]
    )
    default = translate(TerraformSources((parsed,), provider="tencentcloud"))
    assert default.errors == () and default.region == "ap-guangzhou"
    assert [q.name for q in default.queues] == ["orders"]
    unknown = translate(TerraformSources((parsed,), provider="tencentcloud.beijing"))
    assert "--provider tencentcloud.beijing: no such provider configuration" in rendered(unknown)[0]


def test_state_only_resource_of_an_aliased_provider_is_recognised_from_the_state() -> None:
    state = state_of(("tencentcloud_tcmq_queue", "remote", [{"attributes": {"queue_name": "orders-sh"}}]))
    state["resources"][0]["provider"] = 'provider["registry.terraform.io/tencentcloudstack/tencentcloud"].sh'
    from cmqinfra.migrate.tfstate import parse_state

    instances, _ = parse_state("terraform.tfstate", json.dumps(state, indent=2))
    t = translate(TerraformSources(state=instances))
    assert t.queues == () and "uses provider tencentcloud.sh" in t.errors[0].message


# ---------------------------------------------------------------- 2. for_each / count vs state


def test_for_each_instance_differing_from_state_warns_and_the_configuration_wins() -> None:
    tf = """variable "partners" {
  default = { acme = 90, globex = 60 }
}
resource "tencentcloud_tcmq_queue" "p" {
  for_each           = var.partners
  queue_name         = "partner-${each.key}"
  visibility_timeout = each.value
}
"""
    state = state_of(
        (
            "tencentcloud_tcmq_queue",
            "p",
            [
                {
                    "index_key": "acme",
                    "attributes": {"queue_name": "partner-acme", "visibility_timeout": 120},
                },
                {
                    "index_key": "globex",
                    "attributes": {"queue_name": "partner-globex", "visibility_timeout": 60},
                },
            ],
        )
    )
    t = tr(tf, state)
    assert t.errors == ()
    assert [(q.name, q.visibility_timeout) for q in t.queues] == [
        ("partner-acme", 90),
        ("partner-globex", 60),
    ]
    assert (
        'main.tf:7:3: warning: tencentcloud_tcmq_queue.p["acme"]: visibility_timeout is 90 in the '
        "configuration but 120 in the state (terraform plan would change it); the configuration's value is "
        "used"
    ) in rendered(t)


def test_count_larger_than_the_state_warns_for_the_instance_terraform_would_create() -> None:
    tf = """variable "shard_count" {
  default = 3
}
resource "tencentcloud_tcmq_queue" "shard" {
  count      = var.shard_count
  queue_name = "shard-${count.index}"
}
"""
    state = state_of(
        (
            "tencentcloud_tcmq_queue",
            "shard",
            [{"index_key": i, "attributes": {"queue_name": f"shard-{i}"}} for i in range(2)],
        )
    )
    t = tr(tf, state)
    assert [q.name for q in t.queues] == ["shard-0", "shard-1", "shard-2"]
    assert (
        "main.tf:4:1: warning: tencentcloud_tcmq_queue.shard[2] is in the configuration but not in the state "
        "(terraform would create it); the plan will create it too"
    ) in rendered(t)
    fewer = tr(tf, state, variables={"shard_count": 1})
    assert [q.name for q in fewer.queues] == ["shard-0"]
    assert any("shard[1] is in the state but not in the configuration" in line for line in rendered(fewer))


# ---------------------------------------------------------------- 3. local child modules


MODULE = """variable "name" {}
variable "max_receive_count" {
  default = 5
}
resource "tencentcloud_tcmq_queue" "dlq" {
  queue_name = "${var.name}-dlq"
}
resource "tencentcloud_tcmq_queue" "main" {
  queue_name             = var.name
  dead_letter_queue_name = tencentcloud_tcmq_queue.dlq.queue_name
  max_receive_count      = var.max_receive_count
}
"""


def test_local_child_module_is_read_with_its_inputs(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "main.tf": 'module "orders" {\n  source = "./modules/queue"\n  name   = "orders-${var.env}"\n}\n'
            'variable "env" {\n  default = "prod"\n}\n',
            "modules/queue/main.tf": MODULE,
        },
    )
    # the provider's Read records the dead-letter queue's *source* on the dead-letter queue, so
    # a state-only translation cannot tell them apart: the module's configuration must be read
    state = state_of(
        (
            "tencentcloud_tcmq_queue",
            "dlq",
            [{"attributes": {"queue_name": "orders-prod-dlq", "dead_letter_queue_name": "orders-prod"}}],
        ),
        (
            "tencentcloud_tcmq_queue",
            "main",
            [{"attributes": {"queue_name": "orders-prod", "dead_letter_queue_name": "orders-prod-dlq"}}],
        ),
    )
    for resource in state["resources"]:
        resource["module"] = "module.orders"
    (root / "terraform.tfstate").write_text(json.dumps(state, indent=2))
    t = from_dir(root)
    assert t.errors == (), rendered(t)
    by_name = {q.name: q for q in t.queues}
    assert set(by_name) == {"orders-prod", "orders-prod-dlq"}
    assert by_name["orders-prod"].dead_letter is not None
    assert by_name["orders-prod"].dead_letter.queue == "orders-prod-dlq"
    assert by_name["orders-prod"].dead_letter.max_receive_count == 5
    assert by_name["orders-prod-dlq"].dead_letter is None


def test_module_source_outside_the_directory_is_not_read(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere", {"main.tf": MODULE})
    root = write(
        tmp_path / "root", {"main.tf": f'module "x" {{\n  source = "../{outside.name}"\n  name = "a"\n}}\n'}
    )
    sources, problems = read_sources([str(root)], {})
    assert [d.render() for d in problems] == [
        f"{root}/main.tf:2:3: error: module source '../elsewhere' leads outside the directory given; not "
        "read (hint: import from a directory that contains the module)"
    ]
    assert sources.modules == {}


# ---------------------------------------------------------------- 4. without a state


def test_variable_maps_counts_and_arithmetic_evaluate_without_a_state() -> None:
    tf = """variable "partners" {
  default = {
    acme   = 60
    globex = 120
  }
}
variable "shard_count" {
  default = 2
}
locals {
  four_hours = 3600 * 4
}
resource "tencentcloud_tcmq_queue" "partner" {
  for_each              = var.partners
  queue_name            = "partner-${each.key}"
  visibility_timeout    = each.value
  msg_retention_seconds = local.four_hours
}
resource "tencentcloud_tcmq_queue" "shard" {
  count                 = var.shard_count
  queue_name            = "shard-${count.index + 1}"
  msg_retention_seconds = (60 + 30) * 60 / 2
}
"""
    t = tr(tf)
    assert t.errors == (), rendered(t)
    assert [(q.name, q.visibility_timeout, q.msg_retention_seconds) for q in t.queues] == [
        ("partner-acme", 60, 14400),
        ("partner-globex", 120, 14400),
        ("shard-1", 30, 2700),
        ("shard-2", 30, 2700),
    ]


def test_conditionals_and_comparisons_evaluate() -> None:
    tf = """variable "env" {
  default = "prod"
}
resource "tencentcloud_tcmq_queue" "q" {
  queue_name            = var.env == "prod" ? "orders" : "orders-${var.env}"
  msg_retention_seconds = var.env != "prod" || false ? 3600 : 86400
}
"""
    assert [(q.name, q.msg_retention_seconds) for q in tr(tf).queues] == [("orders", 86400)]
    staging = tr(tf, variables={"env": "staging"})
    assert [(q.name, q.msg_retention_seconds) for q in staging.queues] == [("orders-staging", 3600)]


# ---------------------------------------------------------------- 5. lifecycle


def test_prevent_destroy_written_as_a_string_follows_terraform() -> None:
    tf = """variable "keep" {
  default = "false"
}
resource "tencentcloud_tcmq_topic" "a" {
  topic_name = "a"
  lifecycle {
    prevent_destroy = var.keep
  }
}
resource "tencentcloud_tcmq_topic" "b" {
  topic_name = "b"
  lifecycle {
    prevent_destroy = "true"
  }
}
"""
    assert [(t.name, t.protect) for t in tr(tf).topics] == [("a", False), ("b", True)]


# ---------------------------------------------------------------- 6. variables


PRECEDENCE = """variable "a" {
  default = "default"
}
variable "b" {
  default = "default"
}
variable "c" {
  default = "default"
}
variable "d" {
  default = "default"
}
variable "e" {
  default = "default"
}
resource "tencentcloud_tcmq_topic" "t" {
  topic_name = "${var.a}-${var.b}-${var.c}-${var.d}-${var.e}"
}
"""


def test_variable_precedence_is_terraforms(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "main.tf": PRECEDENCE,
            "terraform.tfvars": 'a = "tfvars"\nb = "tfvars"\nc = "tfvars"\nd = "tfvars"\n',
            "x.auto.tfvars": 'a = "auto"\nb = "auto"\nc = "auto-x"\n',
            "y.auto.tfvars": 'a = "auto"\nc = "auto-y"\n',
        },
    )
    t = from_dir(
        root,
        {"a": "var"},
        environment={"a": "env", "b": "env", "c": "env", "d": "env", "e": "env"},
    )
    # -var > *.auto.tfvars (later name wins) > terraform.tfvars > TF_VAR_ > default
    assert [x.name for x in t.topics] == ["var-auto-auto-y-tfvars-env"]


def test_variable_precedence_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(
        tmp_path,
        {
            "main.tf": PRECEDENCE,
            "terraform.tfvars": 'a = "tfvars"\nb = "tfvars"\n',
            "z.auto.tfvars": 'b = "auto"\n',
        },
    )
    monkeypatch.setenv("TF_VAR_c", "env")
    monkeypatch.setenv("TF_VAR_b", "env")
    result = run("import-terraform", str(root), "--var", "a=cli")
    assert result.code == 0, result.stderr
    assert "cli-auto-env-default-default:" in result.stdout


def test_strings_convert_to_bool_as_terraform_does(tmp_path: Path) -> None:
    tf = """variable "trace" {
  default = "false"
}
variable "on" {
  type = bool
}
resource "tencentcloud_tcmq_topic" "a" {
  topic_name = "a"
  trace      = "false"
}
resource "tencentcloud_tcmq_topic" "b" {
  topic_name = "b"
  trace      = var.trace
}
resource "tencentcloud_tcmq_queue" "c" {
  queue_name = "c"
  trace      = var.on
}
"""
    t = tr(tf, variables={"on": "true"})
    assert t.errors == ()
    # the provider's topic default is trace = true: each "false" must really turn it off
    assert [(x.name, x.trace) for x in t.topics] == [("a", False), ("b", False)]
    assert t.queues[0].trace is True
    off = tr(tf, variables={"on": "false"})
    assert off.queues[0].trace is False
    bad = tr(tf, variables={"on": "yes"})
    assert 'trace must be a bool (got "yes")' in rendered(bad)[0]
    root = write(tmp_path, {"main.tf": tf})
    result = run("import-terraform", str(root), "--var", "on=false")
    assert result.code == 0, result.stderr
    assert "trace: true" not in result.stdout


# ---------------------------------------------------------------- bounds on hostile input


def test_locals_doubling_each_line_finish_fast_with_a_clear_error(tmp_path: Path) -> None:
    lines = ['locals {\n  l0 = "ab"\n']
    lines += [f'  l{i} = "${{local.l{i - 1}}}${{local.l{i - 1}}}"\n' for i in range(1, 80)]
    lines.append("}\n")
    lines.append('resource "tencentcloud_tcmq_topic" "t" {\n  topic_name = local.l79\n}\n')
    root = write(tmp_path, {"main.tf": "".join(lines)})
    started = time.monotonic()
    result = run("import-terraform", str(root))
    assert time.monotonic() - started < 20
    assert result.code == 1 and "Traceback" not in result.stderr
    assert (
        f"{root}/main.tf:84:3: error: tencentcloud_tcmq_topic.t: topic_name not translated: the string grows "
        "past 1,000,000 characters; not evaluated"
    ) in result.stderr
    # lists that double, and numbers that square, are bounded the same way
    lists = ['locals {\n  l0 = ["ab"]\n'] + [
        f"  l{i} = [local.l{i - 1}, local.l{i - 1}]\n" for i in range(1, 80)
    ]
    numbers = ["locals {\n  n0 = 3\n"] + [f"  n{i} = local.n{i - 1} * local.n{i - 1}\n" for i in range(1, 80)]
    for body, last in (("".join(lists), "local.l79[0]"), ("".join(numbers), "local.n79")):
        t = tr(
            body + '}\nresource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q"\n'
            f"  visibility_timeout = {last}\n}}\n"
        )
        assert t.queues == () and ("grows past" in rendered(t)[0]), rendered(t)


def test_configuration_larger_than_5_mb_is_refused(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": "# padding\n" * 600_000})
    result = run("import-terraform", str(root))
    assert result.code == 1 and "Traceback" not in result.stderr
    assert f"{root}/main.tf:1:1: error: file is too large (6000000 bytes; the limit is 5 MB)" in result.stderr


def test_deep_or_broken_state_is_an_error_at_its_location(tmp_path: Path) -> None:
    deep = '{\n  "version": 4,\n  "resources": ' + "[" * 200_000 + "]" * 200_000 + "\n}\n"
    (tmp_path / "deep.tfstate").write_text(deep)
    result = run("import-terraform", str(tmp_path / "deep.tfstate"))
    assert result.code == 1 and "Traceback" not in result.stderr
    assert (
        f"{tmp_path}/deep.tfstate:3:115: error: not a Terraform state file: nested deeper than 100 levels"
        in (result.stderr)
    )
    (tmp_path / "broken.tfstate").write_text('{\n  "version": 4,\n  "resources": [\n    {"type": \n')
    result = run("import-terraform", str(tmp_path / "broken.tfstate"))
    assert result.code == 1 and "Traceback" not in result.stderr
    assert f"{tmp_path}/broken.tfstate:5:1: error: not a JSON state file: Expecting value" in result.stderr


def test_deeply_nested_configuration_is_an_error_at_its_location(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.tf": "locals {\n  x = " + "[" * 50_000 + "]" * 50_000 + "\n}\n"})
    result = run("import-terraform", str(root))
    assert result.code == 1 and "Traceback" not in result.stderr
    assert f"{root}/main.tf:2:106: error: not read: brackets nested deeper than 100 levels" in result.stderr


def test_a_state_of_many_thousand_instances_is_read_in_seconds() -> None:
    # each instance is located by bisection, not by counting lines from the top (quadratic)
    from cmqinfra.migrate.tfstate import parse_state

    resources = [
        {
            "mode": "managed",
            "type": "tencentcloud_tcmq_queue",
            "name": f"q{i}",
            "instances": [{"attributes": {"queue_name": f"q{i}", "visibility_timeout": 30}}],
        }
        for i in range(15_000)
    ]
    text = json.dumps({"version": 4, "resources": resources}, indent=2)
    started = time.monotonic()
    instances, problems = parse_state("big.tfstate", text)
    assert time.monotonic() - started < 20 and problems == []
    assert len(instances) == 15_000
    assert str(instances[-1].where("visibility_timeout")) == f"big.tfstate:{text.count(chr(10)) - 5}:13"
