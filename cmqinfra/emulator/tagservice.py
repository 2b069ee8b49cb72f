"""The Tag service (tag, 2018-08-13) actions cmqinfra uses to change tags on existing queues/topics."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from cmqinfra.emulator.context import Context, set_tags
from cmqinfra.emulator.errors import ApiError
from cmqinfra.emulator.queues import find_queue
from cmqinfra.emulator.rules import MAX_TAGS_PER_RESOURCE, check_tags
from cmqinfra.emulator.topics import find_topic

MAX_TAGS_PER_REQUEST = 10
_RESOURCE = re.compile(r"^qcs::tdmq:(?P<region>[^:]*):uin/[^:]*:(?P<kind>queue|topic)/(?P<name>[^/]+)$")


@dataclass(frozen=True)
class Resource:
    kind: str  # "queue" | "topic"
    name_lc: str


def _resource(ctx: Context, text: str, field: str) -> Resource:
    match = _RESOURCE.match(text)
    if match is None:
        raise ApiError(
            "InvalidParameterValue.ResourceDescriptionError",
            f"`{field}` must look like qcs::tdmq:<region>:uin/<uin>:queue/<name> (or topic/<name>), "
            f"got `{text}`.",
        )
    if match["region"] != ctx.region:
        raise ApiError(
            "ResourceNotFound",
            f"{match['kind'].capitalize()} `{match['name']}` does not exist in "
            f"region `{match['region']}` (this emulator serves {ctx.region}).",
        )
    finder = find_queue if match["kind"] == "queue" else find_topic
    row = finder(ctx.conn, match["name"])
    if row is None:
        raise ApiError("ResourceNotFound", f"{match['kind'].capitalize()} `{match['name']}` does not exist.")
    return Resource(kind=match["kind"], name_lc=row["name_lc"])


def _apply(ctx: Context, resource: Resource, replace: list[tuple[str, str]], delete: list[str]) -> None:
    if delete:
        ctx.conn.execute(
            f"DELETE FROM tags WHERE kind = ? AND name_lc = ? AND key IN ({','.join('?' * len(delete))})",
            [resource.kind, resource.name_lc, *delete],
        )
    set_tags(ctx.conn, resource.kind, resource.name_lc, replace)
    count = ctx.conn.execute(
        "SELECT COUNT(*) FROM tags WHERE kind = ? AND name_lc = ?", (resource.kind, resource.name_lc)
    ).fetchone()[0]
    if count > MAX_TAGS_PER_RESOURCE:
        raise ApiError(
            "LimitExceeded.ResourceAttachedTags", f"A resource carries at most {MAX_TAGS_PER_RESOURCE} tags."
        )


def _count_check(field: str, items: list[Any]) -> None:
    if not items:
        raise ApiError(
            "InvalidParameterValue", f"The value of parameter `{field}` is invalid: must not be empty."
        )
    if len(items) > MAX_TAGS_PER_REQUEST:
        raise ApiError(
            "LimitExceeded.TagNumPerRequest",
            f"`{field}` holds at most {MAX_TAGS_PER_REQUEST} entries per request.",
        )


def modify_resource_tags(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if "ReplaceTags" not in params and "DeleteTags" not in params:
        raise ApiError("MissingParameter", "The request needs `ReplaceTags` or `DeleteTags` (at least one).")
    replace: list[tuple[str, str]] = []
    delete: list[str] = []
    if "ReplaceTags" in params:
        _count_check("ReplaceTags", params["ReplaceTags"])
        replace = check_tags("ReplaceTags", params["ReplaceTags"])
    if "DeleteTags" in params:
        _count_check("DeleteTags", params["DeleteTags"])
        delete = [item["TagKey"] for item in params["DeleteTags"]]
    overlap = sorted({key for key, _ in replace} & set(delete))
    if overlap:
        raise ApiError(
            "InvalidParameterValue.TagKeyDuplicate",
            f"Tag key `{overlap[0]}` is in both ReplaceTags and DeleteTags.",
        )
    _apply(ctx, _resource(ctx, params["Resource"], "Resource"), replace, delete)
    return {}


def tag_resources(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    _count_check("Tags", params["Tags"])
    pairs = check_tags("Tags", params["Tags"])
    resources = [_resource(ctx, text, f"ResourceList.{i}") for i, text in enumerate(params["ResourceList"])]
    for resource in resources:
        _apply(ctx, resource, pairs, [])
    return {}


def untag_resources(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    _count_check("TagKeys", params["TagKeys"])
    resources = [_resource(ctx, text, f"ResourceList.{i}") for i, text in enumerate(params["ResourceList"])]
    for resource in resources:
        _apply(ctx, resource, [], list(params["TagKeys"]))
    return {}


def describe_resource_tags(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    prefix = params["ResourcePrefix"]
    if params["ServiceType"] != "tdmq" or prefix not in ("queue", "topic"):
        raise ApiError(
            "InvalidParameterValue.ResourcePrefixInvalid",
            "The emulator knows ServiceType `tdmq` with ResourcePrefix `queue` or `topic`.",
        )
    offset, limit = params.get("Offset", 0), params.get("Limit") or 15
    names = [name.lower() for name in params["ResourceIds"]]
    if not names:
        return {"TotalCount": 0, "Offset": offset, "Limit": limit, "Tags": []}
    marks = ",".join("?" * len(names))
    args = [prefix, *names]
    total = ctx.conn.execute(
        f"SELECT COUNT(*) FROM tags WHERE kind = ? AND name_lc IN ({marks})", args
    ).fetchone()[0]
    rows = ctx.conn.execute(
        f"SELECT name_lc, key, value FROM tags WHERE kind = ? AND name_lc IN ({marks}) ORDER BY name_lc, key "
        "LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()
    by_lc = {name.lower(): name for name in params["ResourceIds"]}
    tags = [
        {
            "TagKey": row["key"],
            "TagValue": row["value"],
            "ResourceId": by_lc.get(row["name_lc"], row["name_lc"]),
            "TagKeyMd5": hashlib.md5(row["key"].encode()).hexdigest(),
            "TagValueMd5": hashlib.md5(row["value"].encode()).hexdigest(),
            "ServiceType": "tdmq",
            "Category": "Custom",
        }
        for row in rows
    ]
    return {"TotalCount": total, "Offset": offset, "Limit": limit, "Tags": tags}
