"""A project of two stacks x two environments with one policy of every built-in rule."""

from __future__ import annotations

POLICIES = """
policies:
  dead-letters:
    rule: deadLetterRequired
    maxReceiveCount: 10
    description: a poison message must not block a queue
  prod-protected:
    rule: protectRequired
    environments: [prod]
    kinds: [queue]
  retention:
    rule: retentionBounds
    kinds: [queue]
    min: 600
    max: 43200
  rewind:
    rule: rewindBounds
    max: 3600
  names:
    rule: naming
    severity: warning
    pattern: "[a-z][a-z0-9-]*"
  hooks:
    rule: httpEndpointHosts
    hosts: ["*.example.com"]
    requireHttps: true
  billing-tags:
    rule: requiredTags
    stacks: [billing]
    tags: [team]
  no-topic-replacement:
    rule: forbiddenActions
    environments: [prod]
    kinds: [topic]
    actions: [replace]
    allowExceptions: false
"""

ORDERS = """
stack: orders
queues:
  orders-dead: {protect: true}
  orders:
    protect: true
    deadLetter: {queue: orders-dead, maxReceiveCount: 5}
topics:
  order-events:
    subscriptions:
      hook: {protocol: http, endpoint: "https://hooks.example.com/orders"}
"""

BILLING = """
stack: billing
queues:
  Invoices:
    msgRetentionSeconds: 300
  ledger:
    protect: true
    tags: {team: billing}
    rewindSeconds: 7200
    deadLetter: {queue: ledger-dead, maxReceiveCount: 20}
    policyExceptions:
      - {policy: dead-letters, reason: ledger replays need 20 attempts}
  ledger-dead: {protect: true, tags: {team: billing}}
topics:
  billing-events:
    protect: true
    tags: {team: billing}
    subscriptions:
      partner: {protocol: http, endpoint: "http://partner.evil.test/hook"}
"""


def project(urls: dict[str, str]) -> dict[str, str]:
    return {
        "cmqinfra.yaml": f"""version: 1
environments:
  dev: {{region: ap-guangzhou, endpoint: "{urls["dev"]}"}}
  prod: {{region: ap-shanghai, endpoint: "{urls["prod"]}"}}
stacks:
  orders: {{path: stacks/orders}}
  billing: {{path: stacks/billing}}
{POLICIES}""",
        "stacks/orders/orders.yaml": ORDERS.lstrip("\n"),
        "stacks/billing/billing.yaml": BILLING.lstrip("\n"),
    }
