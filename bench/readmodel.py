"""Watch the projections' read model from the bench: which cases show an offer, how many are open.

The case view (`GET /complaints/{id}`) reads the active generation's `cases` table; the bench
polls that table directly (one cheap query for many cases) to learn *when* an offer shows,
then confirms each one through the case view itself before stopping its clock.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from services.projections.storage.store import Catalog, Generation

#: Statuses of a case that has had a recovery offer (a reopen or a close follows an offer).
OFFERED = ("recovery_offered", "closed", "reopened")


class ReadModel:
    def __init__(self, url: str) -> None:
        self.catalog = Catalog(url)
        self._gen: Generation | None = None

    @property
    def gen(self) -> Generation:
        if self._gen is None:
            self._gen = self.catalog.ensure_active()
        return self._gen

    def refresh(self) -> None:
        self._gen = None

    def offered(self, ids: Sequence[str]) -> set[str]:
        c = self.gen.tables.cases.c
        found: set[str] = set()
        with self.gen.engine.connect() as conn:
            for start in range(0, len(ids), 500):
                found.update(conn.execute(select(c.complaint_id).where(
                    c.complaint_id.in_(list(ids[start:start + 500])), c.status.in_(OFFERED))).scalars())
        return found

    def count_offered(self) -> int:
        c = self.gen.tables.cases.c
        with self.gen.engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(c.status.in_(OFFERED))).scalar_one())

    def count_cases(self) -> tuple[int, int]:
        """(all cases, open cases)."""
        c = self.gen.tables.cases.c
        with self.gen.engine.connect() as conn:
            total = int(conn.execute(select(func.count()).select_from(self.gen.tables.cases)).scalar_one())
            closed = int(conn.execute(select(func.count()).where(c.status == "closed")).scalar_one())
        return total, total - closed

    def applied(self) -> int:
        t = self.gen.tables.counters
        with self.gen.engine.connect() as conn:
            value = conn.execute(select(t.c.value).where(t.c.name == "applied")).scalar()
        return int(value or 0)

    def dispose(self) -> None:
        self.catalog.dispose()
