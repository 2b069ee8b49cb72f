"""What a handler gets besides its parameters: the store, the clock and the emulator's settings."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from cmqinfra.emulator.rules import TagFilter


@dataclass(frozen=True)
class Context:
    conn: sqlite3.Connection
    now: float  # seconds since the epoch, fixed for the whole request
    region: str
    invisible_seconds: float
    hide_invisible: bool  # some resource may still be invisible: Describe* must filter

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
