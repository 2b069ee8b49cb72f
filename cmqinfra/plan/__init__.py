"""The pure core: diff desired against live state into a Plan, order it, check its safety."""

from cmqinfra.plan.values import (
    Action,
    AttributeChange,
    Plan,
    PlanSummary,
    ResourceChange,
    ResourceType,
    resource_type,
)

__all__ = [
    "Action",
    "AttributeChange",
    "Plan",
    "PlanSummary",
    "ResourceChange",
    "ResourceType",
    "resource_type",
]
