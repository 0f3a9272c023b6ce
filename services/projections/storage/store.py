"""Generations of the read model and the catalog that points at the active one.

SQLite (default): the catalog lives in the configured file and generation N in a
sibling file `<name>.g<N>.db`, so a replay writes beside the live projector without
taking its write lock. PostgreSQL: all generations live in the configured database
(its `search_path`), told apart by the `_g<N>` table suffix.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from complaints.db import make_engine
from services.projections.storage.bulk import drop_deferred, pragmas
from services.projections.storage.tables import SCHEMA_VERSION, Tables, catalog_metadata, generation_tables, generations

tables_for = lru_cache(maxsize=64)(generation_tables)


@lru_cache(maxsize=64)
def read_view(engine: Engine) -> Engine:
    """`engine` for reads that need no transaction: on PostgreSQL in autocommit, so a read is its statements
    alone, without a BEGIN before and a ROLLBACK after (each its own round trip to a backend that, under 8
    clients on 2 cores, waits for a CPU at each one: `bench/queuetail.py`). The answers are the same: under
    READ COMMITTED every statement takes its own snapshot either way. SQLite runs SELECTs outside a
    transaction already. Not for reads that stream (`yield_per`: PostgreSQL's cursors need a transaction)."""
    return engine if engine.dialect.name == "sqlite" else engine.execution_options(isolation_level="AUTOCOMMIT")


@dataclass(frozen=True)
class Generation:
    id: int
    location: str
    state: str
    engine: Engine
    schema_version: int = SCHEMA_VERSION  # the shape its tables were built in (tables.SCHEMA_VERSION then)

    @property
    def tables(self) -> Tables:
        return tables_for(self.id)

    @property
    def reads(self) -> Engine:
        """The engine for its reads that need no transaction (`read_view`)."""
        return read_view(self.engine)

    @property
    def outdated(self) -> str | None:
        """Why this release cannot read or write it (its tables are of another shape), or None."""
        if self.schema_version == SCHEMA_VERSION:
            return None
        return (f"read-model generation {self.id} has schema {self.schema_version}, this release needs "
                f"{SCHEMA_VERSION}" + ("; it is rebuilt from the log" if self.schema_version < SCHEMA_VERSION
                                      else ": it was built by a newer release"))


def open_engine(location: str, bulk: bool = False) -> Engine:
    """A new engine for a generation's location (`Catalog.engine_for` keeps one per location)."""
    # psycopg prepares a statement after 5 runs, and PostgreSQL may then plan `IN (...)` lookups
    # generically, as sequential scans (measured: 400 ms instead of 2 ms per lookup during a
    # replay). Our statements are batched, so preparing them gains nothing.
    extra = {} if is_sqlite(location) else {"connect_args": {"prepare_threshold": None}}
    engine = make_engine(location, **extra)
    if bulk and is_sqlite(location):
        event.listen(engine, "connect", pragmas)
    return engine


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


class Catalog:
    """The configured database: which generation is active, and engines for every location."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engines: dict[tuple[str, bool], Engine] = {}
        self._lock = threading.Lock()
        self.engine = self.engine_for(url)
        try:
            catalog_metadata.create_all(self.engine)
        except DBAPIError:  # another process created it between the check and the CREATE
            catalog_metadata.create_all(self.engine)

    def engine_for(self, location: str, bulk: bool = False) -> Engine:
        """One engine per location; `bulk` engines (replay builds, `storage/bulk.py`) skip fsync on SQLite."""
        with self._lock:
            engine = self._engines.get((location, bulk))
            if engine is None:
                engine = self._engines[(location, bulk)] = open_engine(location, bulk)
            return engine

    def active(self) -> Generation | None:
        with read_view(self.engine).connect() as conn:
            row = conn.execute(
                select(generations.c.id, generations.c.location, generations.c.schema_version)
                .where(generations.c.state == "active").order_by(generations.c.id.desc()).limit(1)
            ).first()
        return None if row is None else Generation(row.id, row.location, "active", self.engine_for(row.location),
                                                   row.schema_version)

    def ensure_active(self) -> Generation:
        """The active generation, creating an empty first one if there is none."""
        gen = self.active()
        if gen is None:
            gen = self.create()
            self.activate(gen.id)
            gen = self.active() or gen
        return gen

    def create(self, location: str | None = None, bulk: bool = False) -> Generation:
        """A fresh, empty generation in state `building`; `bulk`: written by a bulk engine, without the indexes
        only reads use until `bulk.finish` (`storage/bulk.py`)."""
        with self.engine.begin() as conn:
            key = conn.execute(insert(generations).values(
                location="", state="building", schema_version=SCHEMA_VERSION, created_at=_now(),
            )).inserted_primary_key
            assert key is not None
            gen_id = int(key[0])
            location = location or self._default_location(gen_id)
            conn.execute(update(generations).where(generations.c.id == gen_id).values(location=location))
        engine = self.engine_for(location, bulk)
        tables = tables_for(gen_id)
        tables.metadata.drop_all(engine)
        tables.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(tables.counters).values(name="batches", value=0))
            if bulk:
                drop_deferred(conn, tables)
        return Generation(gen_id, location, "building", engine)

    def activate(self, gen_id: int, events: int | None = None, seconds: float | None = None) -> None:
        """Atomically make `gen_id` the active generation (readers switch on their next request).

        On PostgreSQL its tables are analysed first: a replay's fresh tables have no planner statistics until
        autovacuum gets to them (never, where it is off), and without them the planner sorts whole queues. The
        KPI tallies are vacuumed too: every batch updates their month and year rows, which leaves their summary
        index ~20 dead entries per live row at 1M cases and no page marked all-visible, so a whole history read
        the heap as a bitmap scan of 220k entries, planned for 99k rows (parallel workers, JIT: 58 ms)."""
        self._analyze(gen_id)
        with self.engine.begin() as conn:
            conn.execute(update(generations).where(generations.c.state == "active").values(state="retired"))
            conn.execute(update(generations).where(generations.c.id == gen_id).values(
                state="active", activated_at=_now(), events=events,
                seconds=None if seconds is None else f"{seconds:.3f}"))

    def _analyze(self, gen_id: int) -> None:
        with self.engine.connect() as conn:
            location = conn.execute(select(generations.c.location).where(generations.c.id == gen_id)).scalar()
        if location is None or is_sqlite(location):
            return
        engine = self.engine_for(location)
        tables = tables_for(gen_id)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM runs outside a transaction
            for table in tables.metadata.sorted_tables:
                verb = "VACUUM (ANALYZE)" if table is tables.kpis else "ANALYZE"
                conn.exec_driver_sql(f"{verb} {engine.dialect.identifier_preparer.format_table(table)}")

    def cleanup(self, keep_retired: int = 1) -> list[int]:
        """Drop retired generations but the newest `keep_retired` (in-flight reads may still use those)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(generations.c.id, generations.c.location).where(generations.c.state.in_(["retired", "failed"]))
                .order_by(generations.c.id.desc())
            ).all()
        dropped = []
        for row in rows[keep_retired:]:
            self.drop(row.id, row.location)
            dropped.append(row.id)
        return dropped

    def drop(self, gen_id: int, location: str) -> None:
        engine = self.engine_for(location)
        if is_sqlite(location) and location != self.url:
            engine.dispose()
            path = make_url(location).database or ""
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(path + suffix).unlink()
        else:
            tables_for(gen_id).metadata.drop_all(engine)
        with self.engine.begin() as conn:
            conn.execute(update(generations).where(generations.c.id == gen_id).values(state="dropped"))

    def mark_failed(self, gen_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(generations).where(generations.c.id == gen_id).values(state="failed"))

    def list(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(generations).order_by(generations.c.id))]

    def _default_location(self, gen_id: int) -> str:
        url = make_url(self.url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return self.url
        path = Path(url.database)
        return url.set(database=str(path.with_name(f"{path.stem}.g{gen_id}{path.suffix or '.db'}"))).render_as_string(
            hide_password=False)

    def dispose(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

