"""Bulk builds (a replay, the bench's build): a fresh generation written flat out, then made ready to serve.

A bulk generation is written through a bulk engine (SQLite: no fsync per commit, a larger page cache) and
without the indexes only reads use (`deferred`): building an index once over the finished rows cost less
than keeping twelve of them up to date through every batch's upserts. `finish` creates them and makes
what the bulk engine wrote durable; the catalog activates a generation only after that. Nothing here
changes a row: a bulk build holds exactly what a live one would (replay == live).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Index
from sqlalchemy.engine import make_url

from services.projections.storage.tables import Tables

if TYPE_CHECKING:
    from services.projections.storage.store import Generation

#: A bulk engine's page cache (KiB, per connection; SQLite's default is 2 MiB): a build's upserts land all over
#: the tables, and with the default cache most of them re-read pages from the OS.
CACHE_KIB = 65_536


def deferred(t: Tables) -> list[Index]:
    """The indexes only reads use (the queue, `as_of`). The writer's own lookups go by primary key and by the
    timeline's case index (refolds), which a bulk build keeps."""
    return [ix for table in (t.cases, t.versions, t.timeline) for ix in sorted(table.indexes, key=lambda i: str(i.name))
            if not (table is t.timeline and [c.name for c in ix.columns] == ["complaint_id"])]


def drop_deferred(conn: Connection, t: Tables) -> None:
    """On a generation just created (empty tables): drop the indexes `finish` creates."""
    for index in deferred(t):
        index.drop(conn)


def finish(gen: Generation) -> None:
    """Make a built generation ready to serve: its missing deferred indexes, and on SQLite every page a
    bulk engine wrote without syncing made durable (a checkpoint with syncing on syncs the log first and
    the database file after). Idempotent; harmless on a generation that was not built in bulk."""
    with gen.engine.begin() as conn:
        for index in deferred(gen.tables):
            index.create(conn, checkfirst=True)
    if make_url(gen.location).get_backend_name() == "sqlite":
        with gen.engine.connect() as conn:
            was = int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())
            conn.exec_driver_sql("PRAGMA synchronous=FULL")
            try:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.exec_driver_sql(f"PRAGMA synchronous={was}")


def pragmas(dbapi_conn: Any, _record: Any) -> None:
    """A bulk SQLite engine's connections (a `connect` listener)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA synchronous=OFF")
    cur.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cur.close()

