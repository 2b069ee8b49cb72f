"""The documented value rules every handler shares: names, ranges, enums, tags, paging."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from typing import Any

from cmqinfra.emulator.errors import invalid_value

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_ID_ALPHABET = string.ascii_lowercase + string.digits

DEFAULT_LIMIT = 20
MAX_LIMIT = 50
MAX_TAGS_PER_RESOURCE = 50
MAX_TAG_KEY = 127
MAX_TAG_VALUE = 255


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def check_name(field: str, value: str) -> None:
    if not NAME.match(value):
        raise invalid_value(
            field,
            f"`{value}` must start with a letter and contain only letters, digits, `-` and `_`, "
            "at most 64 characters",
        )


def check_queue_name(field: str, value: str) -> None:
    check_name(field, value)
    lowered = value.lower()
    if lowered.endswith("-retry") or lowered.endswith("-dlq"):
        raise invalid_value(field, f"queue name `{value}` must not end with `-retry` or `-dlq`")


def check_range(params: dict[str, Any], field: str, low: int, high: int) -> None:
    value = params.get(field)
    if value is not None and not low <= value <= high:
        raise invalid_value(field, f"{value} is outside {low}..{high}")


def check_enum(params: dict[str, Any], field: str, allowed: tuple[Any, ...]) -> None:
    value = params.get(field)
    if value is not None and value not in allowed:
        shown = ", ".join(str(item) for item in allowed)
        raise invalid_value(field, f"`{value}` is not one of {shown}")


@dataclass(frozen=True)
class Page:
    offset: int
    limit: int


def page(params: dict[str, Any]) -> Page:
    limit = params.get("Limit") or DEFAULT_LIMIT  # 0 or absent: the documented default
    if limit > MAX_LIMIT:
        raise invalid_value("Limit", f"{limit} is over the maximum of {MAX_LIMIT}")
    return Page(offset=params.get("Offset", 0), limit=limit)


def check_tags(field: str, tags: list[dict[str, str]]) -> list[tuple[str, str]]:
    """Tag rules (the Tag service's): non-empty keys <= 127, non-empty values <= 255, no repeats."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, tag in enumerate(tags):
        key, value = tag["TagKey"], tag["TagValue"]
        if not key or len(key) > MAX_TAG_KEY:
            raise invalid_value(f"{field}.{index}.TagKey", f"tag keys must have 1..{MAX_TAG_KEY} characters")
        if not value or len(value) > MAX_TAG_VALUE:
            raise invalid_value(
                f"{field}.{index}.TagValue", f"tag values must have 1..{MAX_TAG_VALUE} characters"
            )
        if key in seen:
            raise invalid_value(f"{field}.{index}.TagKey", f"tag key `{key}` appears twice")
        seen.add(key)
        pairs.append((key, value))
    if len(pairs) > MAX_TAGS_PER_RESOURCE:
        raise invalid_value(field, f"at most {MAX_TAGS_PER_RESOURCE} tags per resource")
    return pairs


@dataclass(frozen=True)
class TagFilter:
    key: str
    values: tuple[str, ...]


def tag_filters(params: dict[str, Any]) -> list[TagFilter]:
    """Filters=[{"Name": "tag:<key>", "Values": [...]}], applied only with IsTagFilter=true (documented)."""
    if not params.get("IsTagFilter"):
        return []
    result: list[TagFilter] = []
    for index, item in enumerate(params.get("Filters", [])):
        name = item["Name"]
        if not name.startswith("tag:") or not name[4:].strip():
            raise invalid_value(f"Filters.{index}.Name", f"`{name}` is not of the form `tag:<key>`")
        result.append(TagFilter(key=name[4:].strip(), values=tuple(item.get("Values", []))))
    return result


def like_pattern(fragment: str) -> str:
    escaped = fragment.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
