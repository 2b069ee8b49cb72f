# Policies for the Terraform provider's CMQ resources, applied to cmqinfra's JSON plan:
#
#   cmqinfra plan --format json --resource-types terraform > plan.json
#   conftest test plan.json --policy examples/policies
#
# The same rules apply to `terraform show -json` of the tencentcloud provider's plans: with
# --resource-types terraform the resource types (tencentcloud_tcmq_queue, _topic, _subscribe)
# and the arguments in change.after are the provider's. A project's plan (no PATH) nests each
# stack's plan under units[].plan; `changes` below reads both shapes.
package main

import rego.v1

changes contains rc if {
	some rc in input.resource_changes
}

changes contains rc if {
	some unit in input.units
	some rc in unit.plan.resource_changes
}

writes(rc) if {
	some action in rc.change.actions
	action in {"create", "update"}
}

# Every queue written has a dead-letter queue, except the dead-letter queues themselves.
deny contains msg if {
	some rc in changes
	rc.type == "tencentcloud_tcmq_queue"
	writes(rc)
	rc.change.after.dead_letter_queue_name == null
	not endswith(rc.change.after.queue_name, "-dead")
	msg := sprintf("%s: a queue needs a dead-letter queue (dead_letter_queue_name)", [rc.address])
}

# A dead-letter policy by receive count retries at most 10 times.
deny contains msg if {
	some rc in changes
	rc.type == "tencentcloud_tcmq_queue"
	writes(rc)
	rc.change.after.policy == 0
	rc.change.after.max_receive_count > 10
	msg := sprintf("%s: max_receive_count %d is above 10", [rc.address, rc.change.after.max_receive_count])
}

# Subscriptions push over https only.
deny contains msg if {
	some rc in changes
	rc.type == "tencentcloud_tcmq_subscribe"
	writes(rc)
	rc.change.after.protocol == "http"
	not startswith(rc.change.after.endpoint, "https://")
	msg := sprintf("%s: endpoint %s is not https", [rc.address, rc.change.after.endpoint])
}

# A topic is never replaced (its subscriptions and undelivered messages would go with it).
deny contains msg if {
	some rc in changes
	rc.type == "tencentcloud_tcmq_topic"
	"delete" in rc.change.actions
	"create" in rc.change.actions
	msg := sprintf("%s: replacing a topic is not allowed", [rc.address])
}
