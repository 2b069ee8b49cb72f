"""Semantic checks: the rules the schema cannot express. Each returns located diagnostics.

They read effective settings (file defaults applied) and tolerate schema-invalid values, so
one run reports every problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.manifest.entries import Entry, as_mapping
from cmqinfra.manifest.schema import schema_default, show
from cmqinfra.manifest.source import Document
from cmqinfra.model import RESERVED_TAG_PREFIX

NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
RESERVED_QUEUE_SUFFIXES = ("-retry", "-dlq")
MAX_BINDING_KEY_BYTES = 64
MAX_BINDING_KEY_DOTS = 15
# The documented length of a push endpoint URL (CMQ Subscribe: "endpoint ... <= 500 chars").
MAX_HTTP_ENDPOINT = 500
# The Tag service's bound per resource, shared with cmqinfra's own ownership/protection tags.
MAX_TAGS_PER_RESOURCE = 50


def check_names(entries: Iterable[Entry]) -> list[Diagnostic]:
    out = []
    for e in entries:
        if not NAME_PATTERN.fullmatch(e.name):
            out.append(Diagnostic(
                f"invalid {e.kind} name {show(e.name)}: it must start with a letter and contain only "
                'letters, digits, "-" and "_" (at most 64 characters)', e.location))
        elif e.kind == "queue" and e.name.lower().endswith(RESERVED_QUEUE_SUFFIXES):
            suffix = next(s for s in RESERVED_QUEUE_SUFFIXES if e.name.lower().endswith(s))
            out.append(Diagnostic(
                f'invalid queue name {show(e.name)}: names ending in "{suffix}" are reserved by the service',
                e.location))
    return out


def check_unique(entries: Iterable[Entry]) -> list[Diagnostic]:
    """Queue names and topic names are case-insensitive in CMQ: one per name, across files too."""
    out = []
    first: dict[tuple[str, str], Entry] = {}
    for e in entries:
        if e.kind == "subscription":
            continue
        key = (e.kind, e.name.lower())
        other = first.get(key)
        if other is None:
            first[key] = e
        elif other.name == e.name:
            out.append(Diagnostic(f"{e.kind} {show(e.name)} is declared twice (also at {other.location})",
                                  e.location))
        else:
            out.append(Diagnostic(
                f"{e.kind} {show(e.name)} clashes with {show(other.name)} at {other.location} "
                f"({e.kind} names are case-insensitive)", e.location))
    return out


def check_dead_letters(queues: Iterable[Entry]) -> list[Diagnostic]:
    out = []
    for q in queues:
        dl = q.settings.get("deadLetter")
        if not isinstance(dl, dict):
            continue
        has_count = "maxReceiveCount" in dl
        has_ttl = "maxTimeToLive" in dl
        if has_count == has_ttl:
            which = "both" if has_count else "neither"
            out.append(Diagnostic(
                f"deadLetter needs exactly one of maxReceiveCount or maxTimeToLive (got {which})",
                q.key_where("deadLetter")))
        target = dl.get("queue")
        if isinstance(target, str) and target.lower() == q.name.lower():
            out.append(Diagnostic(f"queue {show(q.name)} cannot be its own dead-letter queue",
                                  q.where("deadLetter", "queue")))
        ttl = dl.get("maxTimeToLive")
        retention = q.int_setting("msgRetentionSeconds")
        if retention is None and "msgRetentionSeconds" not in q.settings:
            retention = schema_default("queue", "msgRetentionSeconds")
        if isinstance(ttl, int) and not isinstance(ttl, bool) and retention is not None and ttl >= retention:
            out.append(Diagnostic(
                f"deadLetter maxTimeToLive ({ttl}) must be less than the queue's msgRetentionSeconds "
                f"({retention})", q.where("deadLetter", "maxTimeToLive")))
    return out


def check_dead_letter_cycles(queues: Iterable[Entry]) -> list[Diagnostic]:
    """Dead-letter chains among the manifest's queues may not loop (self-loops reported apart)."""
    by_name: dict[str, Entry] = {}
    for q in queues:
        by_name.setdefault(q.name.lower(), q)
    target: dict[str, str] = {}
    for low, q in by_name.items():
        dl = q.settings.get("deadLetter")
        dest = dl.get("queue") if isinstance(dl, dict) else None
        if isinstance(dest, str) and dest.lower() in by_name and dest.lower() != low:
            target[low] = dest.lower()
    out = []
    reported: set[str] = set()
    for start in sorted(target):
        chain = [start]
        node = start
        while node in target and target[node] not in chain:
            node = target[node]
            chain.append(node)
        if node not in target:
            continue
        loop = chain[chain.index(target[node]):]
        if reported & set(loop):
            continue
        reported.update(loop)
        first = min(loop)
        loop = loop[loop.index(first):] + loop[: loop.index(first)]
        names = [by_name[n].name for n in loop] + [by_name[first].name]
        head = by_name[first]
        out.append(Diagnostic(f"dead-letter cycle: {' -> '.join(names)}", head.where("deadLetter", "queue")))
    return out


# The documented bound of the service: one dead-letter queue serves at most 6 source queues.
MAX_DEAD_LETTER_SOURCES = 6


def check_dead_letter_rules(queues: Iterable[Entry]) -> list[Diagnostic]:
    """What the cloud refuses about dead-letter queues declared together: a dead-letter queue
    that has one itself (they do not nest), and a 7th source queue on one dead-letter queue.
    Loops are left to check_dead_letter_cycles."""
    listed = list(queues)
    by_name: dict[str, Entry] = {}
    for q in listed:
        by_name.setdefault(q.name.lower(), q)

    def target_of(q: Entry) -> str | None:
        dl = q.settings.get("deadLetter")
        dest = dl.get("queue") if isinstance(dl, dict) else None
        return dest if isinstance(dest, str) else None

    def in_loop(start: str) -> bool:
        seen, node = {start}, start
        while node in by_name and (dest := target_of(by_name[node])) is not None:
            node = dest.lower()
            if node == start:
                return True
            if node in seen:
                return False
            seen.add(node)
        return False

    out = []
    sources: dict[str, list[Entry]] = {}
    for q in listed:
        dest = target_of(q)
        if dest is None or dest.lower() == q.name.lower():
            continue
        sources.setdefault(dest.lower(), []).append(q)
        target = by_name.get(dest.lower())
        further = target_of(target) if target is not None else None
        if target is None or further is None or further.lower() == dest.lower() or in_loop(q.name.lower()):
            continue  # loops and self-loops have their own diagnostics
        out.append(Diagnostic(
            f"queue {show(q.name)} uses {show(target.name)} as its dead-letter queue, but "
            f"{show(target.name)} has a dead-letter queue itself ({show(further)}): dead-letter "
            "queues do not nest", q.where("deadLetter", "queue"),
            hint=f"remove deadLetter from {show(target.name)} or point {show(q.name)} elsewhere"))
    for dest, users in sorted(sources.items()):
        for extra in users[MAX_DEAD_LETTER_SOURCES:]:
            shown = by_name[dest].name if dest in by_name else dest
            out.append(Diagnostic(
                f"dead-letter queue {show(shown)} would serve {len(users)} source queues; the "
                f"service allows at most {MAX_DEAD_LETTER_SOURCES}", extra.where("deadLetter", "queue"),
                hint="give some source queues another dead-letter queue"))
    return out


def check_rewind(queues: Iterable[Entry]) -> list[Diagnostic]:
    out = []
    for q in queues:
        if "retentionSizeInMB" not in q.settings:
            continue
        rewind = q.int_setting("rewindSeconds")
        if "rewindSeconds" not in q.settings:
            rewind = schema_default("queue", "rewindSeconds")
        if rewind == 0:
            out.append(Diagnostic(
                "retentionSizeInMB needs rewind on (rewindSeconds > 0)", q.key_where("retentionSizeInMB")))
    return out


def check_subscriptions(topics: Iterable[Entry], subscriptions: Iterable[Entry]) -> list[Diagnostic]:
    filter_type: dict[tuple[str, str], str | None] = {}
    default_filter = schema_default("topic", "filterType")
    for t in topics:
        value = t.settings.get("filterType", default_filter)
        filter_type[(t.doc.file, t.name)] = value if isinstance(value, str) else None
    out = []
    for s in subscriptions:
        assert s.topic is not None
        ftype = filter_type.get((s.doc.file, s.topic))
        settings = s.settings
        keys = settings.get("bindingKeys")
        if isinstance(keys, list) and keys:
            if ftype == "tag":
                out.append(Diagnostic(
                    f"bindingKeys need a routingKey topic; topic {show(s.topic)} has filterType tag "
                    "(use filterTags)", s.key_where("bindingKeys")))
            for i, key in enumerate(keys):
                if not isinstance(key, str):
                    continue
                size = len(key.encode("utf-8"))
                if size > MAX_BINDING_KEY_BYTES:
                    out.append(Diagnostic(
                        f"binding key {show(key)} is {size} bytes long (at most {MAX_BINDING_KEY_BYTES})",
                        s.where("bindingKeys", i)))
                if key.count(".") > MAX_BINDING_KEY_DOTS:
                    out.append(Diagnostic(
                        f"binding key {show(key)} has {key.count('.')} dots (at most {MAX_BINDING_KEY_DOTS})",
                        s.where("bindingKeys", i)))
        tags = settings.get("filterTags")
        if isinstance(tags, list) and tags and ftype == "routingKey":
            out.append(Diagnostic(
                f"filterTags need a tag topic; topic {show(s.topic)} has filterType routingKey "
                "(use bindingKeys)", s.key_where("filterTags")))
        protocol = _text(settings.get("protocol"))
        endpoint = _text(settings.get("endpoint"))
        fmt = _text(settings.get("notifyContentFormat"))
        if protocol == "queue":
            if fmt is not None and fmt != "SIMPLIFIED":
                out.append(Diagnostic(
                    f"a queue subscription needs notifyContentFormat SIMPLIFIED (got {fmt})",
                    s.where("notifyContentFormat")))
            if endpoint is not None and not NAME_PATTERN.fullmatch(endpoint):
                out.append(Diagnostic(
                    f"a queue subscription's endpoint must be a queue name (got {show(endpoint)})",
                    s.where("endpoint")))
        elif protocol == "http" and endpoint is not None:
            problem = http_endpoint_problem(endpoint)
            if problem is not None:
                out.append(Diagnostic(problem, s.where("endpoint")))
    return out


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def http_endpoint_problem(endpoint: str) -> str | None:
    """Why the service would refuse this push URL, or None: a scheme, a host, no spaces, the
    documented length."""
    if not endpoint.lower().startswith(("http://", "https://")):
        return f"an http subscription's endpoint must start with http:// or https:// (got {show(endpoint)})"
    if any(ch.isspace() for ch in endpoint):
        return f"an http subscription's endpoint must not contain spaces (got {show(endpoint)})"
    if len(endpoint) > MAX_HTTP_ENDPOINT:
        return (
            f"an http subscription's endpoint is {len(endpoint)} characters long "
            f"(at most {MAX_HTTP_ENDPOINT})"
        )
    try:
        host = urlsplit(endpoint).hostname
    except ValueError:
        host = None
    if not host:
        return f"an http subscription's endpoint must name a host (got {show(endpoint)})"
    return None


def check_tags(entries: Iterable[Entry]) -> list[Diagnostic]:
    """Tag values the Tag service refuses: empty ones, and more tags than a resource may carry
    once cmqinfra's own (cmqinfra-stack, and cmqinfra-protect when protected) are added."""
    out = []
    for e in entries:
        if e.kind == "subscription":
            continue
        tags = e.settings.get("tags")
        if not isinstance(tags, dict):
            continue
        for key, value in tags.items():
            if value == "":
                out.append(Diagnostic(f"tag {show(key)} has an empty value: the Tag service needs 1 to 255 "
                                      "characters", e.key_where("tags")))
        own = 2 if e.settings.get("protect") is True else 1
        if len(tags) + own > MAX_TAGS_PER_RESOURCE:
            out.append(Diagnostic(
                f"{e.kind} {show(e.name)} has {len(tags)} tags; with cmqinfra's own {own} that is more than "
                f"the {MAX_TAGS_PER_RESOURCE} a resource may carry", e.key_where("tags")))
    return out


def check_reserved_tags(doc: Document) -> list[Diagnostic]:
    data = as_mapping(doc.data)
    found: list[tuple[tuple[str | int, ...], dict[str, object]]] = []  # (path, tags) to look into
    for kind in ("queue", "topic"):
        tags = as_mapping(as_mapping(data.get("defaults")).get(kind)).get("tags")
        if isinstance(tags, dict):
            found.append((("defaults", kind, "tags"), tags))
    for section in ("queues", "topics"):
        for name, body in as_mapping(data.get(section)).items():
            tags = body.get("tags") if isinstance(body, dict) else None
            if isinstance(tags, dict):
                found.append(((section, name, "tags"), tags))
    out = []
    for path, tags in found:
        for key in tags:
            if isinstance(key, str) and key.startswith(RESERVED_TAG_PREFIX):
                out.append(Diagnostic(
                    f'tag key {show(key)} is reserved: keys starting with "{RESERVED_TAG_PREFIX}" '
                    "belong to cmqinfra", doc.key_at(path + (key,))))
    return out
