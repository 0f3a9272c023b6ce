"""SQLAlchemy engines for SQLite (default, zero setup) and PostgreSQL (when configured)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; SQLite files get their folder created, WAL and a busy timeout.

    Parameters are hidden from error messages and logs (`hide_parameters`): a failed insert
    of a vault key or a claim must not print the key or the complaint.
    """
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def ensure_schema(engine: Engine, metadata: MetaData, attempts: int = 5) -> None:
    """Create missing tables; safe when several processes start at once.

    PostgreSQL's CREATE TABLE IF NOT EXISTS races between processes (a unique violation on
    pg_type), so creation runs under a transaction-scoped advisory lock. On SQLite, services
    starting together on a fresh file (`complaints dev`, the bench) can race between the
    existence check and CREATE TABLE: the loser sees "already exists" and checks again.
    """
    for attempt in range(attempts):
        try:
            if engine.dialect.name == "postgresql":
                with engine.begin() as conn:
                    conn.execute(text("SELECT pg_advisory_xact_lock(4242424242)"))
                    metadata.create_all(conn)
            else:
                metadata.create_all(engine)
            return
        except DBAPIError as exc:
            message = str(exc.orig).lower()
            if attempt == attempts - 1 or not ("already exists" in message or "duplicate" in message):
                raise
            time.sleep(0.05 * (attempt + 1))


def unreachable(url: str) -> str | None:
    """Why the database at `url` does not answer (None when it does): for optional PostgreSQL runs."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3}, hide_parameters=True)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
