"""Which projections replica writes the read model: a PostgreSQL advisory lock, one holder at a time.

PostgreSQL: the writer holds a *session-level* advisory lock on a dedicated connection (not from a
pool, autocommit, TCP keepalives on). The key is derived from the database and schema the read
model lives in, so two read models in one database have one writer each. PostgreSQL drops the lock
when that session ends: a killed writer (SIGKILL, crash, lost host) hands it over as soon as its
connection is gone; a replica that loses its connection loses the lease (`still_held` says so) and
stops writing. SQLite: one process writes, as always — the lease is always held.

The lease is not the only guard of exactly-once: every batch's transaction first locks the counters
row and then filters against the offsets and event ids stored (ingest/writer.py), so even two
writers overlapping for a moment (the old one finishing a batch while its lease is gone) apply
each record once.
"""

from __future__ import annotations

import hashlib
import logging
import threading

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from services.projections.storage.store import is_sqlite

log = logging.getLogger(__name__)

#: Keepalives bound how long a half-open connection (writer's host gone) keeps the lock.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 2, "keepalives_interval": 1, "keepalives_count": 3,
              "connect_timeout": 3}


def lease_key(database: str, schema: str) -> int:
    """The advisory lock's 64-bit key for the read model in `database`.`schema` (stable across versions)."""
    digest = hashlib.sha256(f"complaints.projections.writer:{database}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class WriterLease:
    """The right to write the read model at `url`. Blocking methods: call them from a thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = is_sqlite(url)
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._held = self.sqlite
        self._lock = threading.Lock()

    @property
    def held(self) -> bool:
        return self._held

    @property
    def role(self) -> str:
        return "writer" if self._held else "reader"

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it (never waits); True when this replica holds it."""
        if self.sqlite or self._held:
            return self._held
        with self._lock:
            try:
                if self._engine is None:
                    self._engine = create_engine(self.url, poolclass=NullPool, hide_parameters=True,
                                                 connect_args=KEEPALIVES)
                if self._conn is None:
                    self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                db, schema = self._conn.execute(text("SELECT current_database(), current_schema()")).one()
                got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                              {"k": lease_key(db, schema or "public")}).scalar())
            except Exception as exc:  # database unreachable: stay a reader, try again later
                log.warning("writer lease: cannot ask PostgreSQL (%s: %s)", type(exc).__name__, exc)
                self._close()
                return False
            self._held = got
            return got

    def still_held(self) -> bool:
        """False once the lease's session is gone (then this replica must stop writing at once)."""
        if self.sqlite or not self._held:
            return self._held
        with self._lock:
            try:
                assert self._conn is not None
                self._conn.execute(text("SELECT 1"))
                return True
            except Exception as exc:
                log.warning("writer lease lost (%s: %s)", type(exc).__name__, exc)
                self._held = False
                self._close()
                return False

    def release(self) -> None:
        """Give the lease up (closing the session releases the lock)."""
        if self.sqlite:
            return
        with self._lock:
            self._held = False
            self._close()
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # already broken
                log.debug("closing the lease connection failed", exc_info=True)
            self._conn = None
