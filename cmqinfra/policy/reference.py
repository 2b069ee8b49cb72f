"""The policy reference (docs/policy-reference.md), generated from the project JSON Schema.

Run ``python -m cmqinfra.policy.reference > docs/policy-reference.md`` after changing
``$defs.policy`` of ``schemas/project.schema.json``; a test regenerates it and compares.
"""

from __future__ import annotations

from typing import Any

from cmqinfra.manifest.reference import _allowed, _cell, _default, _type
from cmqinfra.policy.rules import PARAMETERS, PLAN_RULES, REQUIRED

_INTRO = """\
# Policy reference

Generated from `$defs.policy` of `schemas/project.schema.json` by
`python -m cmqinfra.policy.reference`; do not edit by hand.

Policies are rules a platform team writes once in `cmqinfra.yaml` and every pull request must
follow. `cmqinfra validate` checks the rules the manifests alone decide; `cmqinfra plan` (and
`apply`) checks those and the rules about changes. A violation is a diagnostic at the resource's
line that names the policy and its line in `cmqinfra.yaml`, in every format; an `error` makes
validate fail and the plan impossible to apply, a `warning` is shown. The project comment lists
every violation and every declared exception at its top.

```yaml
# cmqinfra.yaml
policies:
  dead-letters:                    # the policy's id
    rule: deadLetterRequired
    maxReceiveCount: 10
    description: a poison message must not block a queue
  prod-protected:
    rule: protectRequired
    environments: [prod]
  no-topic-replacement:
    rule: forbiddenActions
    environments: [prod]
    kinds: [topic]
    actions: [replace]
    allowExceptions: false         # no manifest can waive it
```

An exception is declared next to the resource, with its reason, and shows as a waiver:

```yaml
queues:
  ledger:
    deadLetter: {queue: ledger-dead, maxReceiveCount: 20}
    policyExceptions:
      - {policy: dead-letters, reason: ledger replays need 20 attempts}
```

A stack planned by path (`cmqinfra plan stacks/billing`) takes the policies of the
`cmqinfra.yaml` around it, with no environment (policies limited to environments do not apply).

Policies a pull request must not be able to loosen go in a file the operator names with the
environment variable `CMQINFRA_POLICIES` (a YAML file holding a `policies:` section in this
format); they apply in addition to the repository's, named `operator:ID`.
"""


def render_reference(schema: dict[str, Any] | None = None) -> str:
    if schema is None:
        from cmqinfra.project.config import project_schema

        schema = project_schema()
    node = schema["$defs"]["policy"]
    lines = [_INTRO, "## `policies.ID`\n", node.get("description", "") + "\n"]
    lines.append("| field | type | allowed | default | description |")
    lines.append("| --- | --- | --- | --- | --- |")
    required = set(node.get("required", ()))
    for key, prop in node["properties"].items():
        name = f"`{key}`" + (" (required)" if key in required else "")
        lines.append(
            f"| {name} | {_cell(_type(prop))} | {_cell(_allowed(prop))} | {_default(prop)} | "
            f"{_cell(prop.get('description', ''))} |"
        )
    lines += ["", "## Rules and their parameters\n", "| rule | checked by | parameters | required |",
              "| --- | --- | --- | --- |"]
    for rule in node["properties"]["rule"]["enum"]:
        by = "plan, apply" if rule in PLAN_RULES else "validate, plan, apply"
        params = ", ".join(f"`{p}`" for p in sorted(PARAMETERS[rule])) or "-"
        needed = ", ".join(f"`{p}`" for p in sorted(REQUIRED.get(rule, ()))) or "-"
        lines.append(f"| `{rule}` | {by} | {params} | {needed} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    print(render_reference(), end="")


if __name__ == "__main__":
    main()
