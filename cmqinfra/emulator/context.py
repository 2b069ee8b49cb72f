"""What a handler gets besides its parameters: the store, the clock and the emulator's settings."""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from cmqinfra.emulator.rules import TagFilter, like_pattern, page, tag_filters


@dataclass(frozen=True)
class Context:
    conn: sqlite3.Connection
    now: float  # seconds since the epoch, fixed for the whole request
    region: str
    invisible_seconds: float
    hide_invisible: bool  # some resource may still be invisible: Describe* must filter
    account_id: str = "100000000001"  # the root account (uin) the emulator answers as
    woken: set[str] = field(default_factory=set)  # queues (name_lc) whose waiters wake after commit

    @property
    def now_ms(self) -> int:
        return int(self.now * 1000)

    @property
    def visible_at(self) -> float:
        return self.now + self.invisible_seconds


def visibility_clause(ctx: Context, table: str) -> tuple[str, list[Any]]:
    if not ctx.hide_invisible:
        return "", []
    return f" AND {table}.visible_at <= ?", [ctx.now]


def tag_clause(kind: str, table: str, filters: list[TagFilter]) -> tuple[str, list[Any]]:
    sql, args = "", []
    for item in filters:
        sql += f" AND {table}.name_lc IN (SELECT name_lc FROM tags WHERE kind = ? AND key = ?"
        args += [kind, item.key]
        if item.values:
            sql += f" AND value IN ({','.join('?' * len(item.values))})"
            args += list(item.values)
        sql += ")"
    return sql, args


def tags_for(conn: sqlite3.Connection, kind: str, names_lc: list[str]) -> dict[str, list[dict[str, str]]]:
    if not names_lc:
        return {}
    rows = conn.execute(
        "SELECT name_lc, key, value FROM tags WHERE kind = ?"
        f" AND name_lc IN ({','.join('?' * len(names_lc))}) "
        "ORDER BY name_lc, key",
        [kind, *names_lc],
    ).fetchall()
    result: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        result.setdefault(row["name_lc"], []).append({"TagKey": row["key"], "TagValue": row["value"]})
    return result


def set_tags(conn: sqlite3.Connection, kind: str, name_lc: str, pairs: list[tuple[str, str]]) -> None:
    conn.executemany(
        "INSERT INTO tags (kind, name_lc, key, value) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (kind, name_lc, key) DO UPDATE SET value = excluded.value",
        [(kind, name_lc, key, value) for key, value in pairs],
    )


# Paged Describe* calls repeat one query at growing offsets (200 pages for 10,000 queues). The
# ordered list of matching rows is computed once and kept until the database changes:
# ``total_changes`` grows with every row written, so it is an exact version stamp.
_MATCHES: OrderedDict[tuple[int, str, str, tuple[Any, ...]], tuple[sqlite3.Connection, int, list[int]]] = (
    OrderedDict()
)
_MATCHES_KEPT = 32
_MATCHES_LOCK = threading.Lock()


def matching_seqs(ctx: Context, table: str, where: str, args: list[Any]) -> list[int]:
    """``seq`` of every row of ``table`` matching ``where``, in ``seq`` order (cached)."""
    sql = f"SELECT seq FROM {table} WHERE {where} ORDER BY seq"
    if ctx.hide_invisible:  # the answer depends on the clock: never cache it
        return [row[0] for row in ctx.conn.execute(sql, args)]
    key = (id(ctx.conn), table, where, tuple(args))
    version = ctx.conn.total_changes
    with _MATCHES_LOCK:
        hit = _MATCHES.get(key)
        if hit is not None and hit[0] is ctx.conn and hit[1] == version:
            _MATCHES.move_to_end(key)
            return hit[2]
    seqs = [row[0] for row in ctx.conn.execute(sql, args)]
    with _MATCHES_LOCK:
        _MATCHES[key] = (ctx.conn, version, seqs)
        while len(_MATCHES) > _MATCHES_KEPT:
            _MATCHES.popitem(last=False)
    return seqs


def page_rows(ctx: Context, table: str, seqs: list[int], offset: int, limit: int) -> list[sqlite3.Row]:
    window = seqs[offset : offset + limit]
    if not window:
        return []
    marks = ",".join("?" * len(window))
    return ctx.conn.execute(f"SELECT * FROM {table} WHERE seq IN ({marks}) ORDER BY seq", window).fetchall()


def listed_rows(
    ctx: Context, params: dict[str, Any], table: str, kind: str, name_param: str, list_param: str
) -> tuple[int, list[sqlite3.Row]]:
    """One page of DescribeCmqQueues / DescribeCmqTopics: partial match on ``name_param``, exact
    names in ``list_param``, tag filters, then Offset/Limit over the cached match list."""
    paging = page(params)
    where, args = "1 = 1", []
    visible, visible_args = visibility_clause(ctx, table)
    where += visible
    args += visible_args
    if params.get(name_param):
        where += " AND name_lc LIKE ? ESCAPE '\\'"
        args.append(like_pattern(params[name_param]))
    if list_param in params:
        names = [name.lower() for name in params[list_param]]
        where += f" AND name_lc IN ({','.join('?' * len(names))})" if names else " AND 0"
        args += names
    tag_sql, tag_args = tag_clause(kind, table, tag_filters(params))
    where += tag_sql
    args += tag_args
    seqs = matching_seqs(ctx, table, where, args)
    return len(seqs), page_rows(ctx, table, seqs, paging.offset, paging.limit)
