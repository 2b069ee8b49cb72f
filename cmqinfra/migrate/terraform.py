"""Terraform's tencentcloud_tcmq_* resources -> cmqinfra model values. Pure: text in, values out.

Where each value comes from, first match wins:

1. the configuration, when the argument is written and its expression resolves;
2. the state, when the argument is written but does not resolve (``${...}`` that needs
   Terraform to evaluate), or is not written at all (the value last read from the account);
3. what the provider sends on create when the argument is not written: its schema default,
   else 0 / false (``cmqinfra.migrate.provider``).

``count`` / ``for_each`` are evaluated from the configuration when they can be (a number, a
variable's map or set); each instance is then translated like a plain resource against its own
state instance, with ``count.index`` / ``each.key`` / ``each.value``. When they cannot be
evaluated, the instances are taken from the state. Local child modules (``source = "./..."``)
are translated with their inputs; other modules from the state only.

A manifest has one region and one account: resources of another (aliased) provider
configuration are an error naming them, unless ``--provider`` selects one configuration, whose
resources are translated and the others left out with a warning (one manifest per region).

What cannot be translated is reported at its file:line:col: as an error when a value cannot be
known (the manifest would be wrong), as a warning when something is knowingly left out.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cmqinfra.diagnostics import Diagnostic, Severity
from cmqinfra.migrate.hclsource import Block, HclFile, Located
from cmqinfra.migrate.provider import (
    ID_PARTS,
    META_ARGUMENTS,
    QUEUE,
    RESOURCE_TYPES,
    SCHEMAS,
    STATE_ONLY,
    SUBSCRIBE,
    TOPIC,
    Kind,
)
from cmqinfra.migrate.resolve import Resolver, Unknown, Unresolved, literal_value
from cmqinfra.migrate.tfstate import StateInstance
from cmqinfra.model import (
    DeadLetter,
    FilterType,
    NotifyContentFormat,
    NotifyStrategy,
    Protocol,
    Queue,
    SourceLocation,
    Subscription,
    Topic,
    Transaction,
)

_LIFECYCLE_KEPT = {"prevent_destroy"}


DEFAULT_PROVIDER = "tencentcloud"
_MODULE_META = frozenset({"source", "version", "providers", "count", "for_each", "depends_on"})
_STATE_PROVIDER = re.compile(r'provider\["(?:[^"]*/)?([\w-]+)"\](?:\.([\w-]+))?')


@dataclass(frozen=True)
class TerraformSources:
    configs: tuple[HclFile, ...] = ()
    tfvars: tuple[HclFile, ...] = ()  # in Terraform's precedence order: later files win
    variables: Mapping[str, Any] = field(default_factory=dict)  # -var values, plain: they win
    state: tuple[StateInstance, ...] = ()
    environment: Mapping[str, Any] = field(default_factory=dict)  # TF_VAR_ values: below tfvars
    modules: Mapping[str, tuple[HclFile, ...]] = field(default_factory=dict)  # local module dir -> files
    provider: str | None = None  # "tencentcloud" or "tencentcloud.ALIAS": the one translated


def module_key(declared_in: str, source: str) -> str:
    """The directory a local module's ``source`` names, as ``sources`` reads it."""
    return os.path.normpath(os.path.join(os.path.dirname(declared_in), source))


def is_local_module(source: object) -> bool:
    return isinstance(source, str) and (source.startswith("./") or source.startswith("../"))


@dataclass(frozen=True)
class Translation:
    region: str | None
    queues: tuple[Queue, ...]
    topics: tuple[Topic, ...]
    subscriptions: tuple[Subscription, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)


@dataclass(frozen=True)
class _Unit:
    """One resource instance to translate: its configuration block, its state, or both."""

    type: str
    name: str
    block: Block | None
    state: StateInstance | None
    scope: tuple[tuple[str, Any], ...] = ()  # count.index / each.key / each.value
    key: int | str | None = None  # the count / for_each instance key
    module: str | None = None  # "module.NAME" for a child module's resource
    provider: str = DEFAULT_PROVIDER

    @property
    def address(self) -> str:
        if self.state is not None:
            return self.state.address
        base = f"{self.module}.{self.type}.{self.name}" if self.module else f"{self.type}.{self.name}"
        return base if self.key is None else f"{base}[{json.dumps(self.key)}]"

    @property
    def scope_map(self) -> dict[str, Any]:
        return dict(self.scope)

    @property
    def location(self) -> SourceLocation | None:
        if self.block is not None:
            return self.block.location
        return self.state.location if self.state is not None else None


class _Failed(Exception):
    """A value the translation needs is unknown; the diagnostic is already recorded."""


class _Translator:
    def __init__(
        self,
        sources: TerraformSources,
        module: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        provider: str = DEFAULT_PROVIDER,
        diagnostics: list[Diagnostic] | None = None,
    ) -> None:
        self.sources = sources
        self.module = module  # None: the root module
        self.default_provider = provider
        self.diagnostics: list[Diagnostic] = [] if diagnostics is None else diagnostics
        self.units: dict[tuple[str, str], _Unit] = {}
        self.looped: dict[tuple[str, str], Block] = {}
        self.memo: dict[tuple[int, str], Any] = {}
        self.busy: set[tuple[int, str]] = set()
        self.children: list[tuple[str, Block]] = []  # (module key, module block) read here
        blocks = [b for f in sources.configs for b in f.blocks]
        self.resolver = Resolver(self._variables(blocks, inputs), self._locals(blocks), self._reference)
        self.blocks = blocks

    # ------------------------------------------------------------ gathering

    def _variables(self, blocks: list[Block], inputs: Mapping[str, Any] | None) -> dict[str, Any]:
        """Terraform's precedence, lowest first: defaults, TF_VAR_, terraform.tfvars,
        *.auto.tfvars (in name order), -var. A child module has its defaults and its inputs."""
        values: dict[str, Any] = {}
        for block in blocks:
            if block.type == "variable" and block.labels:
                default = block.get("default")
                if default is not None:
                    values[block.labels[0]] = default.raw
        if inputs is not None:
            values.update(inputs)
            return values
        for name, value in self.sources.environment.items():
            values[name] = literal_value(value)
        for tfvars in self.sources.tfvars:
            for name, located in tfvars.attributes:
                values[name] = located.raw
        for name, value in self.sources.variables.items():
            values[name] = literal_value(value)
        return values

    @staticmethod
    def _locals(blocks: list[Block]) -> dict[str, Any]:
        return {name: v.raw for b in blocks if b.type == "locals" for name, v in b.attributes}

    def provider_blocks(self) -> dict[str, Block]:
        """Provider configurations by reference: "tencentcloud", "tencentcloud.shanghai"."""
        out: dict[str, Block] = {}
        for block in self.blocks:
            if block.type != "provider" or block.labels[:1] != (DEFAULT_PROVIDER,):
                continue
            alias = block.get("alias")
            name = DEFAULT_PROVIDER
            if alias is not None:
                try:
                    name = f"{DEFAULT_PROVIDER}.{self.resolver.value(alias.raw)}"
                except Unresolved:
                    name = f"{DEFAULT_PROVIDER}.{_short_raw(alias.raw)}"
            out.setdefault(name, block)
        return out

    def region(self, provider: str = DEFAULT_PROVIDER, quiet: bool = False) -> str | None:
        for name, block in self.provider_blocks().items():
            if name == provider:
                located = block.get("region")
                if located is None:
                    return None
                try:
                    value = self.resolver.value(located.raw)
                except Unresolved as exc:
                    if quiet:
                        return None
                    self.warn(
                        f"provider region not translated: {exc}",
                        located.location,
                        hint="give the region with --region",
                    )
                    return None
                return str(value) if value is not None else None
        return None

    def _unit_provider(self, block: Block | None, state: StateInstance | None) -> str:
        written = block.get("provider") if block is not None else None
        if written is not None:
            return _short_raw(written.raw)
        if state is not None and state.provider:
            match = _STATE_PROVIDER.search(state.provider)
            if match is not None and match.group(1) == DEFAULT_PROVIDER and match.group(2):
                return f"{DEFAULT_PROVIDER}.{match.group(2)}"
        return self.default_provider

    def _instance_keys(self, keyword: str, loop: Located) -> list[tuple[int | str, dict[str, Any]]]:
        """The instances ``count`` / ``for_each`` make, when the configuration alone says."""
        value = self.resolver.value(loop.raw)
        if keyword == "count":
            try:
                count = _coerce(value, Kind.INT)
            except (TypeError, ValueError) as exc:
                raise Unresolved(f"count must be a whole number ({exc})") from None
            if count is None or count < 0:
                raise Unresolved(f"count must be a whole number, not {_show(value)}")
            return [(i, {"count.index": i}) for i in range(count)]
        if isinstance(value, dict):
            return [(k, {"each.key": k, "each.value": value[k]}) for k in sorted(value)]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [(k, {"each.key": k, "each.value": k}) for k in sorted(set(value))]
        raise Unresolved(f"for_each must be a map or a set of strings, not {_show(value)}")

    def collect_units(self) -> list[_Unit]:
        state_by_resource: dict[tuple[str | None, str, str], list[StateInstance]] = {}
        for instance in self.sources.state:
            state_by_resource.setdefault((instance.module, instance.type, instance.name), []).append(instance)
        has_state = bool(self.sources.state)
        units: list[_Unit] = []
        configured: set[tuple[str, str]] = set()
        read_modules: set[str] = set()
        for block in self.blocks:
            if block.type == "module":
                label = block.labels[0] if block.labels else "?"
                if self._read_module(block, label):
                    read_modules.add(self._child_path(label))
                continue
            if block.type != "resource" or len(block.labels) != 2 or block.labels[0] not in RESOURCE_TYPES:
                continue
            rtype, name = block.labels
            configured.add((rtype, name))
            instances = state_by_resource.get((self.module, rtype, name), [])
            loop = block.get("count") or block.get("for_each")
            address = f"{self.module}.{rtype}.{name}" if self.module else f"{rtype}.{name}"
            if loop is not None:
                keyword = "count" if block.get("count") is not None else "for_each"
                self.looped[(rtype, name)] = block
                try:
                    keys = self._instance_keys(keyword, loop)
                except Unresolved as exc:
                    if not instances:
                        self.error(
                            f"{address}: {keyword} is not translated: {exc}; its instances are known only "
                            "from a state file",
                            loop.location,
                            hint="pass terraform.tfstate too (terraform state pull > terraform.tfstate)",
                        )
                        continue
                    self.warn(
                        f"{address}: {keyword} expanded from the state into {len(instances)} resource(s), "
                        f"each written out in the manifest ({keyword} itself: {exc})",
                        loop.location,
                    )
                    for i in instances:
                        name_of_key = "count.index" if keyword == "count" else "each.key"
                        scope = {name_of_key: i.index_key}
                        units.append(self._unit(rtype, name, block, i, scope, i.index_key))
                    continue
                self.warn(
                    f"{address}: {keyword} expanded into {len(keys)} resource(s), each written out in the "
                    "manifest",
                    loop.location,
                )
                by_key = {i.index_key: i for i in instances}
                for key, scope in keys:
                    instance = by_key.pop(key, None)
                    unit = self._unit(rtype, name, block, instance, scope, key)
                    if instance is None and has_state:
                        self._not_in_state(unit)
                    units.append(unit)
                for instance in by_key.values():
                    self.warn(
                        f"{instance.address} is in the state but not in the configuration ({keyword} "
                        "makes no such instance; terraform would destroy it); not translated",
                        instance.location,
                    )
                continue
            unit = self._unit(rtype, name, block, next((i for i in instances if i.index_key is None), None))
            if unit.state is None and has_state:
                self._not_in_state(unit)
            self.units[(rtype, name)] = unit
            units.append(unit)
        for (module, rtype, name), instances in state_by_resource.items():
            if module == self.module:
                if (rtype, name) in configured:
                    continue
                if self.sources.configs:
                    self.warn(
                        f"{instances[0].address} is in the state but not in the configuration (terraform "
                        "would destroy it); not translated",
                        instances[0].location,
                    )
                    continue
            else:
                below = module is not None and (self.module is None or module.startswith(self.module + "."))
                if not below or any(module == m or module.startswith(m + ".") for m in read_modules):
                    continue  # another module's, or a read module's: translated there
            for instance in instances:
                unit = self._unit(rtype, name, None, instance)
                if instance.index_key is None and module == self.module:
                    self.units[(rtype, name)] = unit
                units.append(unit)
        return units

    def _unit(
        self,
        rtype: str,
        name: str,
        block: Block | None,
        state: StateInstance | None,
        scope: Mapping[str, Any] | None = None,
        key: int | str | None = None,
    ) -> _Unit:
        return _Unit(
            rtype,
            name,
            block,
            state,
            tuple((scope or {}).items()),
            key,
            self.module if state is None else state.module,
            self._unit_provider(block, state),
        )

    def _not_in_state(self, unit: _Unit) -> None:
        self.warn(
            f"{unit.address} is in the configuration but not in the state (terraform would create it); "
            "the plan will create it too",
            unit.location,
        )

    def _child_path(self, label: str) -> str:
        return f"{self.module}.module.{label}" if self.module else f"module.{label}"

    def _read_module(self, block: Block, label: str) -> bool:
        """Whether the module's resources are translated from its configuration (a local
        module that was read); otherwise they come from the state only, as said here."""
        source = block.get("source")
        try:
            source_text = self.resolver.value(source.raw) if source is not None else None
        except Unresolved:
            source_text = None
        if not is_local_module(source_text):
            self.warn(
                f"module {label} is not read (not a local ./ or ../ source): its resources are "
                "translated from the state only",
                block.location,
            )
            return False
        key = module_key(block.location.file, str(source_text))
        if key not in self.sources.modules:
            self.warn(
                f"module {label} ({source_text}) was not read: its resources are translated from the "
                "state only",
                block.location,
            )
            return False
        loop = block.get("count") or block.get("for_each")
        if loop is not None:
            self.warn(
                f"module {label}: count / for_each on a module is not translated: its resources are "
                "translated from the state only",
                loop.location,
            )
            return False
        self.children.append((key, block))
        return True

    def child(self, key: str, block: Block) -> _Translator:
        """The translator of a local child module, with its inputs evaluated here."""
        label = block.labels[0] if block.labels else "?"
        inputs: dict[str, Any] = {}
        for name, located in block.attributes:
            if name in _MODULE_META:
                continue
            try:
                inputs[name] = literal_value(self.resolver.value(located.raw))
            except Unresolved as exc:
                inputs[name] = Unknown(f"module {label} input `{name}`: {exc}")
        provider = self.default_provider
        providers = block.get("providers")
        if providers is not None and isinstance(providers.raw, dict):
            for inner, outer in providers.raw.items():
                if str(inner).strip('"') == DEFAULT_PROVIDER:
                    provider = _short_raw(outer)
        sources = TerraformSources(
            configs=self.sources.modules[key],
            state=self.sources.state,
            modules=self.sources.modules,
            provider=self.sources.provider,
        )
        return _Translator(sources, self._child_path(label), inputs, provider, self.diagnostics)

    # ------------------------------------------------------------ values

    def _reference(self, rtype: str, name: str, attribute: str) -> Any:
        if rtype not in RESOURCE_TYPES:
            raise Unresolved(f"`{rtype}.{name}.{attribute}` is not a CMQ resource of this configuration")
        if (rtype, name) in self.looped:
            raise Unresolved(f"`{rtype}.{name}` has count / for_each: refer to one instance")
        unit = self.units.get((rtype, name))
        if unit is None:
            raise Unresolved(f"`{rtype}.{name}` is not in the configuration")
        if attribute == "id":
            parts = [self.value(unit, part, quiet=True) for part in ID_PARTS[rtype]]
            return "#".join(str(p) for p in parts)
        if attribute not in SCHEMAS[rtype]:
            raise Unresolved(f"`{rtype}.{name}.{attribute}` is not an attribute of {rtype}")
        return self.value(unit, attribute, quiet=True)

    def value(self, unit: _Unit, attribute: str, quiet: bool = False) -> Any:
        """The attribute's effective value (see the module docstring); raises _Failed, or
        Unresolved when ``quiet`` (a reference from another resource reports it there)."""
        key = (id(unit), attribute)
        if key in self.memo:
            return self.memo[key]
        if key in self.busy:
            raise Unresolved(f"`{unit.address}.{attribute}` depends on itself")
        self.busy.add(key)
        try:
            result = self._value(unit, attribute, quiet)
        finally:
            self.busy.discard(key)
        self.memo[key] = result
        return result

    def _value(self, unit: _Unit, attribute: str, quiet: bool) -> Any:
        argument = SCHEMAS[unit.type][attribute]
        written = unit.block.get(attribute) if unit.block is not None else None
        recorded = unit.state.value(attribute) if unit.state is not None else None
        if written is not None:
            try:
                value = _coerce(self.resolver.value(written.raw, unit.scope_map), argument.kind)
            except Unresolved as exc:
                if recorded is not None:
                    return _coerce(recorded, argument.kind)
                if quiet:
                    raise
                self.error(
                    f"{unit.address}: {attribute} not translated: {exc}",
                    written.location,
                    hint="pass the state file too, or replace the expression with its value",
                )
                raise _Failed from exc
            except (TypeError, ValueError) as exc:
                self.error(
                    f"{unit.address}: {attribute} must be a {argument.kind.value} ({exc})", written.location
                )
                raise _Failed from exc
            if recorded is not None and _differs(value, _coerce(recorded, argument.kind)):
                self.warn(
                    f"{unit.address}: {attribute} is {_show(value)} in the configuration but "
                    f"{_show(recorded)} in the state (terraform plan would change it); the configuration's "
                    "value is used",
                    written.location,
                )
            return value
        # The provider's Read fills dead_letter_queue_name from DeadLetterSource (the queues
        # that use this one), so the state's value is trusted only without a configuration.
        trust_state = not (attribute == "dead_letter_queue_name" and unit.block is not None)
        if recorded is not None and trust_state and recorded != "" and recorded != []:
            return _coerce(recorded, argument.kind)
        if argument.required:
            self.error(f"{unit.address}: {attribute} is required and not given", unit.location)
            raise _Failed
        return argument.sent_when_unwritten

    # ------------------------------------------------------------ checks

    def evaluate_all(self, unit: _Unit) -> None:
        """Every argument once, so that all of a resource's problems are reported together."""
        failed = False
        for attribute in SCHEMAS[unit.type]:
            try:
                self.value(unit, attribute)
            except _Failed:
                failed = True
        if failed:
            raise _Failed

    def check_arguments(self, unit: _Unit) -> None:
        schema = SCHEMAS[unit.type]
        if unit.block is not None:
            for name, located in unit.block.attributes:
                if name not in schema and name not in META_ARGUMENTS and name != "alias":
                    self.warn(
                        f"{unit.address}: {name} is not an argument the provider documents for "
                        f"{unit.type}; not translated",
                        located.location,
                    )
            for block in unit.block.blocks:
                if block.type not in ("lifecycle", "timeouts"):
                    self.warn(f"{unit.address}: {block.type} block not translated", block.location)
            for lifecycle in unit.block.nested("lifecycle"):
                for name, located in lifecycle.attributes:
                    if name not in _LIFECYCLE_KEPT:
                        self.warn(f"{unit.address}: lifecycle {name} is not translated", located.location)
        if unit.state is not None:
            for name, _ in unit.state.attributes:
                if name not in schema and name not in STATE_ONLY:
                    self.warn(
                        f"{unit.address}: state attribute {name} is not one the provider documents for "
                        f"{unit.type}; not translated",
                        unit.state.where(name),
                    )

    def protect(self, unit: _Unit) -> bool:
        if unit.block is None:
            return False
        for lifecycle in unit.block.nested("lifecycle"):
            located = lifecycle.get("prevent_destroy")
            if located is None:
                continue
            try:
                return bool(_coerce(self.resolver.value(located.raw, unit.scope_map), Kind.BOOL))
            except (TypeError, ValueError) as exc:
                self.error(
                    f"{unit.address}: lifecycle prevent_destroy must be a bool ({exc})", located.location
                )
                raise _Failed from exc
            except Unresolved as exc:
                self.error(
                    f"{unit.address}: lifecycle prevent_destroy not translated: {exc}", located.location
                )
                raise _Failed from exc
        return False

    def where(self, unit: _Unit, attribute: str) -> SourceLocation | None:
        if unit.block is not None:
            located = unit.block.get(attribute)
            return located.location if located is not None else unit.block.location
        return unit.state.where(attribute) if unit.state is not None else None

    def error(self, message: str, location: SourceLocation | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, location, Severity.ERROR, hint))

    def warn(self, message: str, location: SourceLocation | None, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, location, Severity.WARNING, hint))

    # ------------------------------------------------------------ resources

    def queue(self, unit: _Unit) -> Queue:
        v = lambda attribute: self.value(unit, attribute)  # noqa: E731
        rewind = v("rewind_seconds") or 0
        size = v("retention_size_in_mb") or 0
        transaction = None
        if v("transaction") == 1:
            transaction = Transaction(v("first_query_interval"), v("max_query_count"))
        elif v("transaction") not in (0, None):
            self.error(
                f"{unit.address}: transaction must be 0 or 1 (got {v('transaction')})",
                self.where(unit, "transaction"),
            )
            raise _Failed
        dead_letter = None
        dlq = v("dead_letter_queue_name")
        if dlq:
            policy = v("policy")
            if policy == 1:
                dead_letter = DeadLetter(str(dlq), max_time_to_live=v("max_time_to_live"))
            elif policy in (0, None):
                dead_letter = DeadLetter(str(dlq), max_receive_count=v("max_receive_count"))
            else:
                self.error(
                    f"{unit.address}: policy must be 0 or 1 (got {policy})", self.where(unit, "policy")
                )
                raise _Failed
        return Queue(
            name=str(v("queue_name")),
            visibility_timeout=v("visibility_timeout"),
            polling_wait_seconds=v("polling_wait_seconds"),
            msg_retention_seconds=v("msg_retention_seconds"),
            max_msg_heap_num=v("max_msg_heap_num"),
            max_msg_size=v("max_msg_size"),
            rewind_seconds=rewind,
            # with rewind on, 0 asks the service for its default size: left as the service has it
            retention_size_in_mb=(size or None) if rewind else 0,
            trace=bool(v("trace")),
            transaction=transaction,
            dead_letter=dead_letter,
            protect=self.protect(unit),
            source=unit.location,
        )

    def topic(self, unit: _Unit) -> Topic:
        v = lambda attribute: self.value(unit, attribute)  # noqa: E731
        filter_type = v("filter_type")
        if filter_type not in (1, 2):
            self.error(
                f"{unit.address}: filter_type must be 1 (tag) or 2 (routing key), got {filter_type}",
                self.where(unit, "filter_type"),
            )
            raise _Failed
        return Topic(
            name=str(v("topic_name")),
            filter_type=FilterType.from_api(filter_type),
            max_msg_size=v("max_msg_size"),
            msg_retention_seconds=v("msg_retention_seconds"),
            trace=bool(v("trace")),
            protect=self.protect(unit),
            source=unit.location,
        )

    def subscription(self, unit: _Unit) -> Subscription:
        v = lambda attribute: self.value(unit, attribute)  # noqa: E731
        protocol_text = str(v("protocol")).lower()
        if protocol_text not in ("queue", "http"):
            self.error(
                f"{unit.address}: protocol must be queue or http (got {v('protocol')!r})",
                self.where(unit, "protocol"),
            )
            raise _Failed
        protocol = Protocol(protocol_text)
        strategy, content = v("notify_strategy"), v("notify_content_format")
        if protocol is Protocol.QUEUE and not _written_or_recorded(unit, "notify_content_format"):
            content = NotifyContentFormat.SIMPLIFIED.value  # the only format a queue accepts
        try:
            notify_strategy = NotifyStrategy(strategy) if strategy else None
            notify_content_format = NotifyContentFormat(content) if content else None
        except ValueError as exc:
            self.error(f"{unit.address}: {exc}", unit.location)
            raise _Failed from exc
        tags = v("tags")
        if tags:
            self.warn(
                f"{unit.address}: tags not translated: the provider never sends a subscription's tags to "
                "the service, and CMQ subscriptions have none",
                self.where(unit, "tags"),
            )
        return Subscription(
            topic=str(v("topic_name")),
            name=str(v("subscription_name")),
            protocol=protocol,
            endpoint=str(v("endpoint")),
            notify_strategy=notify_strategy,
            notify_content_format=notify_content_format,
            filter_tags=tuple(sorted(v("filter_tags") or ())),
            binding_keys=tuple(sorted(v("binding_key") or ())),
            source=unit.location,
        )


def _written_or_recorded(unit: _Unit, attribute: str) -> bool:
    if unit.block is not None and unit.block.get(attribute) is not None:
        return True
    return unit.state is not None and bool(unit.state.value(attribute))


def _coerce(value: Any, kind: Kind) -> Any:
    """Terraform's own conversions between strings, numbers and bools."""
    if value is None:
        return None
    if kind is Kind.INT:
        if isinstance(value, bool):
            raise TypeError(f"got {str(value).lower()}")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        if isinstance(value, int):
            return value
        raise TypeError(f"got {_show(value)}")
    if kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
        if value in ("true", "false"):
            return value == "true"
        raise TypeError(f"got {_show(value)}")
    if kind is Kind.STRING:
        if isinstance(value, list | dict):
            raise TypeError(f"got {_show(value)}")
        return str(value).lower() if isinstance(value, bool) else str(value)
    if kind is Kind.SET:
        if not isinstance(value, list):
            raise TypeError(f"got {_show(value)}")
        return sorted({str(item) for item in value})
    if not isinstance(value, dict):
        raise TypeError(f"got {_show(value)}")
    return {str(k): str(v) for k, v in value.items()}


def _differs(configured: Any, recorded: Any) -> bool:
    if configured in (None, [], {}) and recorded in (None, [], {}):
        return False
    return configured != recorded


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def _short_raw(raw: Any) -> str:
    text = str(raw)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _dead_letter_pairs(
    queues: list[tuple[_Unit, Queue]], translator: _Translator
) -> list[tuple[_Unit, Queue]]:
    """State-only queues naming each other as dead-letter queue: the provider's Read put the
    source queue's name on the dead-letter queue, and which is which cannot be told."""
    by_name = {q.name.lower(): (u, q) for u, q in queues}
    bad: set[int] = set()
    for unit, queue in queues:
        if unit.block is not None or queue.dead_letter is None:
            continue
        other = by_name.get(queue.dead_letter.queue.lower())
        if other is None or other[0].block is not None or other[1].dead_letter is None:
            continue
        if other[1].dead_letter.queue.lower() == queue.name.lower() and id(unit) not in bad:
            bad.update({id(unit), id(other[0])})
            translator.error(
                f"{unit.address} and {other[0].address} name each other as dead-letter queue in the "
                "state: the provider records a dead-letter queue's source queue there, so which is which "
                "cannot be told",
                unit.state.where("dead_letter_queue_name") if unit.state else unit.location,
                hint="pass the configuration (.tf) too",
            )
    return [(u, q) for u, q in queues if id(u) not in bad]


_MAX_MODULE_DEPTH = 16


def _translate_module(
    t: _Translator, depth: int = 0
) -> tuple[list[tuple[_Unit, Queue]], list[tuple[_Unit, Topic]], list[tuple[_Unit, Subscription]]]:
    units = t.collect_units()
    queues: list[tuple[_Unit, Queue]] = []
    topics: list[tuple[_Unit, Topic]] = []
    subscriptions: list[tuple[_Unit, Subscription]] = []
    for unit in units:
        t.check_arguments(unit)
        try:
            t.evaluate_all(unit)
            if unit.type == QUEUE:
                queues.append((unit, t.queue(unit)))
            elif unit.type == TOPIC:
                topics.append((unit, t.topic(unit)))
            elif unit.type == SUBSCRIBE:
                subscriptions.append((unit, t.subscription(unit)))
        except _Failed:
            continue
    for key, block in t.children:
        if depth >= _MAX_MODULE_DEPTH:
            t.error(f"modules nested deeper than {_MAX_MODULE_DEPTH} levels are not read", block.location)
            continue
        q, tp, sb = _translate_module(t.child(key, block), depth + 1)
        queues += q
        topics += tp
        subscriptions += sb
    return queues, topics, subscriptions


def _of_provider(
    t: _Translator, selected: str | None, items: list[tuple[_Unit, Any]]
) -> list[tuple[_Unit, Any]]:
    """Only one provider configuration's resources: a manifest has one region and one account."""
    kept = []
    regions = {name: t.region(name, quiet=True) for name in t.provider_blocks()}
    for unit, value in items:
        wanted = selected or DEFAULT_PROVIDER
        if unit.provider == wanted:
            kept.append((unit, value))
            continue
        region = regions.get(unit.provider)
        where = f" (region {region})" if region else ""
        written = unit.block.get("provider") if unit.block is not None else None
        location = written.location if written is not None else unit.location
        if selected is None:
            t.error(
                f"{unit.address} uses provider {unit.provider}{where}, another region or account than the "
                f"manifest's ({DEFAULT_PROVIDER}); a manifest holds one",
                location,
                hint=f"import one manifest per provider: --provider {unit.provider} for its resources, "
                f"--provider {DEFAULT_PROVIDER} for the others",
            )
        else:
            t.warn(
                f"{unit.address} not translated: it uses provider {unit.provider}{where}, not {selected}",
                location,
                hint=f"import it with --provider {unit.provider}",
            )
    return kept


def translate(sources: TerraformSources) -> Translation:
    """The manifest values equivalent to the Terraform configuration and state."""
    t = _Translator(sources)
    selected = sources.provider
    if selected is not None and selected != DEFAULT_PROVIDER and selected not in t.provider_blocks():
        t.error(
            f"--provider {selected}: no such provider configuration (there are: "
            f"{', '.join(sorted(t.provider_blocks())) or 'none'})",
            None,
        )
    region = t.region(selected or DEFAULT_PROVIDER)
    queues, topic_pairs, subscription_pairs = _translate_module(t)
    queues = _of_provider(t, selected, queues)
    topics = [x for _, x in _of_provider(t, selected, topic_pairs)]
    subscriptions = [x for _, x in _of_provider(t, selected, subscription_pairs)]
    queues = _dead_letter_pairs(queues, t)
    topic_names = {topic.name.lower() for topic in topics}
    kept_subscriptions = []
    for s in subscriptions:
        if s.topic.lower() in topic_names:
            kept_subscriptions.append(s)
        else:
            t.warn(
                f"subscription {s.topic}/{s.name} not translated: its topic {s.topic!r} is not among the "
                "translated resources, and a manifest declares subscriptions under their topic",
                s.source,
                hint="import the topic's configuration too",
            )
    return Translation(
        region=region,
        queues=tuple(sorted((q for _, q in queues), key=lambda q: q.name)),
        topics=tuple(sorted(topics, key=lambda x: x.name)),
        subscriptions=tuple(sorted(kept_subscriptions, key=lambda s: (s.topic, s.name))),
        diagnostics=tuple(t.diagnostics),
    )


__all__ = ["Located", "TerraformSources", "Translation", "is_local_module", "module_key", "translate"]
