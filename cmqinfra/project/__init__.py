"""Project mode: a repository of many stacks and environments.

A project is a directory with ``cmqinfra.yaml`` at its root (schema:
``cmqinfra/schemas/project.schema.json``), or, without that file, every directory under the root
that holds manifests (files with a top-level ``stack:``) is one stack named by its path.

    from cmqinfra.project import load_project, resolve_unit
    project = load_project(Path("."))           # never raises for bad input: project.diagnostics
    for unit in project.units(stacks=["payments"], environments=["prod"]):
        resolved = resolve_unit(project, unit)  # the stack as the environment sees it
        resolved.stack, resolved.diagnostics

``StackUnit`` (frozen) is one stack in one environment: ``stack_name``, ``environment``,
``paths``, ``region`` (the environment's; it plays the manifest's role), ``target``
(``UnitTarget``: endpoint, account, credentials env names), name affixes and variable values;
``unit.key`` is ``payments[prod]``.

The run layer's runner (``cmqinfra.run.runner``) plans and applies units concurrently; one
``RateLimiter`` is shared by every unit of one endpoint and account (``Connections``):

    from cmqinfra.run.connections import Connections
    from cmqinfra.project.resolve import resolve_all
    from cmqinfra.run.runner import plan_project
    connections = Connections(TargetOptions(endpoint=url), workdir, rate_scale=1.0)
    items, apis = plan_project(resolve_all(project, project.units()), options, connections)
    # items: UnitPlan(unit, region, target, plan | error); cmqinfra/run/applying.py applies them
    connections.close()

``runner.plan_units(inputs, ...)`` is the one place all units' plans are computed together from
their stacks and live states (``PlanInput``): information that spans stacks goes in there.
The project plan file (``planfile``) and the combined comment (``report``) have their own modules.
"""

from typing import TYPE_CHECKING, Any

from cmqinfra.project.resolve import ResolvedUnit, resolve_unit, resolved_yaml
from cmqinfra.project.units import Project, ProjectError, StackUnit, UnitTarget, load_project

if TYPE_CHECKING:
    from cmqinfra.project.config import PROJECT_FILE, ProjectConfig

_CONFIG_NAMES = ("PROJECT_FILE", "ProjectConfig")


def __getattr__(name: str) -> Any:
    # cmqinfra.yaml's reader loads on first use: a PATH outside any project never reads one.
    if name in _CONFIG_NAMES:
        from cmqinfra.project import config

        return getattr(config, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PROJECT_FILE",
    "Project",
    "ProjectConfig",
    "ProjectError",
    "ResolvedUnit",
    "StackUnit",
    "UnitTarget",
    "load_project",
    "resolve_unit",
    "resolved_yaml",
]
