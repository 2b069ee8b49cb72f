"""Applying a stack's policies: scope by resource address, exceptions, located diagnostics.

A violation is reported at the resource's line (where it is declared) and names the policy and
the line of cmqinfra.yaml it was written at, so both are one click away in every renderer. A
resource's ``policyExceptions`` entry naming the policy turns the violation into a warning that
says it is waived and why, located at the exception, unless the policy forbids exceptions.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from cmqinfra.diagnostics import Diagnostic, Severity
from cmqinfra.model import Policy, Resource, SourceLocation, Stack
from cmqinfra.plan.values import Plan, ResourceChange
from cmqinfra.policy.rules import PLAN_RULES, RESOURCE_CHECKS, forbidden_action, kind_of, kinds, resources_of


def in_scope(policy: Policy, address: str) -> bool:
    if not policy.resources:
        return True
    key = address.casefold()
    return any(fnmatchcase(key, pattern.casefold()) for pattern in policy.resources)


def _label(policy: Policy) -> str:
    where = f" at {policy.source}" if policy.source is not None else ""
    return f"[policy {policy.id}{where}]"


def _hint(policy: Policy, waivable: bool) -> str | None:
    parts = []
    if policy.param("description"):
        parts.append(str(policy.param("description")))
    if waivable and policy.allow_exceptions:
        parts.append(
            f"{'or ' if parts else ''}declare `policyExceptions: [{{policy: {policy.id}, reason: ...}}]` "
            "on the resource"
        )
    return "; ".join(parts) or None


def _report(
    policy: Policy, resource: Resource | None, address: str, problem: str, where: SourceLocation | None
) -> Diagnostic:
    exception = None
    if resource is not None:
        exception = next((e for e in resource.exceptions if e.policy == policy.id), None)
    if exception is not None and policy.allow_exceptions:
        return Diagnostic(
            f"{address}: {problem} {_label(policy)}: waived by an exception: {exception.reason}",
            exception.source or where,
            Severity.WARNING,
            policy=policy.id,
            waived=True,
        )
    severity = Severity.ERROR if policy.severity == "error" else Severity.WARNING
    message = f"{address}: {problem} {_label(policy)}"
    if exception is not None:
        message += f"; the exception at {exception.source} is not allowed by this policy"
    waivable = resource is not None and exception is None
    return Diagnostic(message, where, severity, _hint(policy, waivable), policy=policy.id)


def check_stack(stack: Stack) -> list[Diagnostic]:
    """The violations of the stack's policies the manifests alone decide."""
    out: list[Diagnostic] = []
    for policy in stack.policies:
        check = RESOURCE_CHECKS.get(policy.rule)
        if check is None:
            continue
        wanted = kinds(policy)
        for resource in resources_of(stack):
            if kind_of(resource) not in wanted or not in_scope(policy, resource.address):
                continue
            for problem in check(policy, resource, stack):
                out.append(_report(policy, resource, resource.address, problem, resource.source))
    return out


def check_changes(stack: Stack, changes: tuple[ResourceChange, ...]) -> list[Diagnostic]:
    """The violations of the rules about changes (``forbiddenActions``)."""
    out: list[Diagnostic] = []
    for policy in stack.policies:
        if policy.rule not in PLAN_RULES:
            continue
        for change in changes:
            if not in_scope(policy, change.address):
                continue
            problem = forbidden_action(policy, change)
            if problem is None:
                continue
            resource = change.after if change.after is not None else None
            where = resource.source if resource is not None else (policy.source or stack.source)
            out.append(_report(policy, resource, change.address, problem, where))
    return out


def with_policies(plan: Plan) -> Plan:
    """The plan with its stack's policy violations: errors refuse it, warnings are shown."""
    from dataclasses import replace

    # a destroy plan declares nothing: only the rules about changes speak to it
    found = ([] if plan.destroy else check_stack(plan.stack)) + check_changes(plan.stack, plan.changes)
    if not found:
        return plan
    errors = tuple(d for d in found if d.severity is Severity.ERROR)
    warnings = tuple(d for d in found if d.severity is Severity.WARNING)
    return replace(plan, errors=plan.errors + errors, warnings=plan.warnings + warnings)
