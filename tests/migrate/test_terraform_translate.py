"""The translation on small configurations: where values come from, and what is reported where."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cmqinfra.migrate.hclsource import parse_hcl
from cmqinfra.migrate.terraform import TerraformSources, Translation, translate
from cmqinfra.migrate.tfstate import parse_state
from cmqinfra.model import DeadLetter, FilterType, Transaction

sys.path.insert(0, str(Path(__file__).parents[1] / "gitops"))
from cli_helpers import run  # noqa: E402


def tr(
    tf: str, state: dict | None = None, variables: dict | None = None, tfvars: str | None = None
) -> Translation:
    config, problems = parse_hcl("main.tf", tf)
    assert problems == [] and config is not None
    instances = ()
    if state is not None:
        instances, problems = parse_state("terraform.tfstate", json.dumps(state, indent=2))
        assert problems == []
    extra = ()
    if tfvars is not None:
        parsed, _ = parse_hcl("terraform.tfvars", tfvars)
        extra = (parsed,)
    return translate(TerraformSources((config,), extra, variables or {}, instances))


QUEUE_WITH_CALL = (
    'resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q"\n  visibility_timeout = max(30, 60)\n}\n'
)


def rendered(t: Translation) -> list[str]:
    return [d.render() for d in t.diagnostics]


def state_of(*resources: tuple[str, str, list[dict]]) -> dict:
    return {
        "version": 4,
        "resources": [
            {"mode": "managed", "type": rtype, "name": name, "instances": instances}
            for rtype, name, instances in resources
        ],
    }


def test_unwritten_arguments_are_what_the_provider_sends() -> None:
    t = tr(
        'resource "tencentcloud_tcmq_topic" "t" {\n  topic_name = "t"\n}\n'
        'resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q"\n}\n'
    )
    assert t.diagnostics == ()
    (topic,) = t.topics
    # the provider's topic defaults: trace true (cmqinfra's is false), 65536 bytes, tag filtering
    assert (topic.trace, topic.max_msg_size, topic.filter_type) == (True, 65536, FilterType.TAG)
    (queue,) = t.queues
    assert (queue.max_msg_heap_num, queue.max_msg_size, queue.visibility_timeout) == (10_000_000, 65536, 30)
    assert queue.dead_letter is None and queue.transaction is None and queue.trace is False


def test_variables_locals_templates_and_references_resolve() -> None:
    tf = """
variable "env" {}
variable "size" { default = 1024 }
locals {
  name = "orders-${var.env}"
}
resource "tencentcloud_tcmq_queue" "dlq" {
  queue_name = "${local.name}-dlq"
}
resource "tencentcloud_tcmq_queue" "q" {
  queue_name             = local.name
  max_msg_size           = var.size
  dead_letter_queue_name = tencentcloud_tcmq_queue.dlq.id
  policy                 = "1"
}
"""
    t = tr(tf, tfvars='env = "prod"\n', variables={"size": 2048})
    assert t.diagnostics == ()
    by_name = {q.name: q for q in t.queues}
    assert set(by_name) == {"orders-prod", "orders-prod-dlq"}
    # -var beats the default; "1" is a number to Terraform; the provider's default TTL is 300
    assert by_name["orders-prod"].max_msg_size == 2048
    assert by_name["orders-prod"].dead_letter == DeadLetter("orders-prod-dlq", max_time_to_live=300)


def test_unresolvable_expression_without_state_is_an_error_at_its_line() -> None:
    tf = QUEUE_WITH_CALL
    t = tr(tf)
    assert t.queues == ()
    assert rendered(t) == [
        "main.tf:3:3: error: tencentcloud_tcmq_queue.q: visibility_timeout not translated: function call "
        "`max(...)` is not evaluated (hint: pass the state file too, or replace the expression "
        "with its value)"
    ]


def test_unresolvable_expression_takes_the_state_value() -> None:
    tf = QUEUE_WITH_CALL
    state = state_of(
        ("tencentcloud_tcmq_queue", "q", [{"attributes": {"queue_name": "q", "visibility_timeout": 60}}])
    )
    t = tr(tf, state)
    assert t.errors == () and t.queues[0].visibility_timeout == 60


def test_count_that_cannot_be_evaluated_needs_the_state_and_expands_from_it() -> None:
    tf = (
        'resource "tencentcloud_tcmq_queue" "s" {\n  count = length(var.names)\n'
        '  queue_name = "s-${count.index}"\n}\n'
    )
    t = tr(tf)
    assert [d.render().split(" (hint")[0] for d in t.errors] == [
        "main.tf:2:3: error: tencentcloud_tcmq_queue.s: count is not translated: function call "
        "`length(...)` is not evaluated; its instances are known only from a state file"
    ]
    state = state_of(
        (
            "tencentcloud_tcmq_queue",
            "s",
            [
                {"index_key": 0, "attributes": {"queue_name": "s-0", "visibility_timeout": 45}},
                {"index_key": 1, "attributes": {"queue_name": "s-1", "visibility_timeout": 45}},
            ],
        )
    )
    t = tr(tf, state)
    assert t.errors == ()
    assert [(q.name, q.visibility_timeout) for q in t.queues] == [("s-0", 45), ("s-1", 45)]


def test_unknown_arguments_and_lifecycle_are_reported_and_prevent_destroy_protects() -> None:
    tf = """resource "tencentcloud_tcmq_topic" "t" {
  topic_name = "t"
  colour     = "blue"
  lifecycle {
    prevent_destroy = true
    ignore_changes  = [trace]
  }
}
"""
    t = tr(tf)
    assert t.topics[0].protect is True
    assert rendered(t) == [
        "main.tf:3:3: warning: tencentcloud_tcmq_topic.t: colour is not an argument the provider documents "
        "for tencentcloud_tcmq_topic; not translated",
        "main.tf:6:5: warning: tencentcloud_tcmq_topic.t: lifecycle ignore_changes is not translated",
    ]


def test_configuration_differing_from_state_is_said_and_the_configuration_wins() -> None:
    tf = 'resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q"\n  visibility_timeout = 90\n}\n'
    state = state_of(
        ("tencentcloud_tcmq_queue", "q", [{"attributes": {"queue_name": "q", "visibility_timeout": 60}}])
    )
    t = tr(tf, state)
    assert t.queues[0].visibility_timeout == 90
    assert rendered(t) == [
        "main.tf:3:3: warning: tencentcloud_tcmq_queue.q: visibility_timeout is 90 in the configuration "
        "but 60 in the state (terraform plan would change it); the configuration's value is used"
    ]


def test_state_dead_letter_name_is_not_trusted_over_the_configuration() -> None:
    # the provider's Read records a dead-letter queue's *source* queue as its dead_letter_queue_name
    tf = (
        'resource "tencentcloud_tcmq_queue" "dlq" {\n  queue_name = "dlq"\n}\n'
        'resource "tencentcloud_tcmq_queue" "src" {\n  queue_name = "src"\n'
        "  dead_letter_queue_name = tencentcloud_tcmq_queue.dlq.queue_name\n  max_receive_count = 4\n}\n"
    )
    state = state_of(
        (
            "tencentcloud_tcmq_queue",
            "dlq",
            [{"attributes": {"queue_name": "dlq", "dead_letter_queue_name": "src"}}],
        ),
        (
            "tencentcloud_tcmq_queue",
            "src",
            [{"attributes": {"queue_name": "src", "dead_letter_queue_name": "dlq", "max_receive_count": 4}}],
        ),
    )
    t = tr(tf, state)
    assert t.errors == ()
    assert {q.name: q.dead_letter for q in t.queues} == {
        "dlq": None,
        "src": DeadLetter("dlq", max_receive_count=4),
    }
    only_state = translate(
        TerraformSources((), (), {}, parse_state("s.tfstate", json.dumps(state, indent=2))[0])
    )
    assert [d.message.split(":")[0] for d in only_state.errors] == [
        "tencentcloud_tcmq_queue.dlq and tencentcloud_tcmq_queue.src name each other as dead-letter queue "
        "in the state"
    ]


def test_transaction_and_subscription_sets() -> None:
    tf = """resource "tencentcloud_tcmq_queue" "q" {
  queue_name  = "q"
  transaction = 1
}
resource "tencentcloud_tcmq_topic" "t" {
  topic_name = "t"
}
resource "tencentcloud_tcmq_subscribe" "s" {
  topic_name        = tencentcloud_tcmq_topic.t.topic_name
  subscription_name = "s"
  protocol          = "queue"
  endpoint          = tencentcloud_tcmq_queue.q.queue_name
  filter_tags       = ["b", "a", "b"]
}
resource "tencentcloud_tcmq_subscribe" "orphan" {
  topic_name        = "elsewhere"
  subscription_name = "o"
  protocol          = "http"
  endpoint          = "http://example.com"
}
"""
    t = tr(tf)
    assert t.queues[0].transaction == Transaction(0, 0)  # the provider sends 0 for both when unwritten
    (s,) = t.subscriptions
    assert s.filter_tags == ("a", "b") and s.notify_content_format.value == "SIMPLIFIED"
    assert rendered(t) == [
        "main.tf:15:1: warning: subscription elsewhere/o not translated: its topic 'elsewhere' is not among "
        "the translated resources, and a manifest declares subscriptions under their topic (hint: import the "
        "topic's configuration too)"
    ]


def test_bad_hcl_is_one_located_line_and_nothing_is_written(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = \n}\n')
    out = tmp_path / "out.yaml"
    out.write_text("stack: mine\n")
    result = run("import-terraform", str(tmp_path), "-o", str(out))
    assert result.code == 1
    assert result.stderr.splitlines()[0] == f"{tmp_path}/main.tf:2:16: error: not valid HCL: unexpected input"
    assert "Traceback" not in result.stderr
    assert out.read_text() == "stack: mine\n"


def test_translation_errors_write_nothing(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q"\n'
        "  visibility_timeout = var.missing\n}\n"
    )
    result = run("import-terraform", str(tmp_path / "main.tf"), "-o", str(tmp_path / "out"))
    assert result.code == 1
    assert (
        "main.tf:3:3: error: tencentcloud_tcmq_queue.q: visibility_timeout not translated: `var.missing` "
        "has no value" in result.stderr
    )
    assert result.stderr.strip().endswith("error: 1 error(s) in the translation; nothing was written")
    assert not (tmp_path / "out").exists()


def test_state_only_attributes_and_nested_blocks_are_reported_where_written() -> None:
    tf = (
        'resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q"\n'
        '  dynamic "extra" {\n    for_each = []\n    content {}\n  }\n}\n'
    )
    state = state_of(
        ("tencentcloud_tcmq_queue", "q", [{"attributes": {"id": "q", "queue_name": "q", "shiny": 1}}])
    )
    t = tr(tf, state)
    assert rendered(t) == [
        "main.tf:3:3: warning: tencentcloud_tcmq_queue.q: dynamic block not translated",
        # the state file as json.dumps(indent=2) lays it out: "shiny" on line 13
        "terraform.tfstate:13:13: warning: tencentcloud_tcmq_queue.q: state attribute shiny is not one the "
        "provider documents for tencentcloud_tcmq_queue; not translated",
    ]


def test_every_problem_of_a_resource_is_reported_at_once() -> None:
    tf = (
        'resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q-${var.env}"\n'
        "  visibility_timeout = local.missing\n  trace = \"maybe\"\n}\n"
    )
    t = tr(tf)
    assert [d.render().split(" not translated")[0].split(" must be")[0] for d in t.errors] == [
        "main.tf:2:3: error: tencentcloud_tcmq_queue.q: queue_name",
        "main.tf:3:3: error: tencentcloud_tcmq_queue.q: visibility_timeout",
        "main.tf:4:3: error: tencentcloud_tcmq_queue.q: trace",
    ]


def test_an_unwritable_output_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q"\n}\n')
    (tmp_path / "file").write_text("")
    result = run("import-terraform", str(tmp_path / "main.tf"), "-o", str(tmp_path / "file" / "q.yaml"))
    assert result.code == 1
    assert result.stderr.splitlines()[-1].startswith(f"error: cannot write {tmp_path}/file/q.yaml: ")


def test_rewind_without_a_size_leaves_the_size_to_the_service() -> None:
    # the provider sends retention_size_in_mb 0, and the service picks its own size for rewind
    t = tr('resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q"\n  rewind_seconds = 600\n}\n')
    (queue,) = t.queues
    assert (queue.rewind_seconds, queue.retention_size_in_mb) == (600, None)
    plain = tr('resource "tencentcloud_tcmq_queue" "q" {\n  queue_name = "q"\n}\n').queues[0]
    assert (plain.rewind_seconds, plain.retention_size_in_mb) == (0, 0)
