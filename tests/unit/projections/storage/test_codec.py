"""Times as each database stores them (the writer's value tuples)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from pydantic_core import to_jsonable_python

from services.projections.storage.codec import SqliteTimes, Times
from tests.unit.readmodel.factory import T0


def test_times_go_to_sqlite_as_sqlalchemy_writes_them() -> None:
    rng = random.Random(3)
    sqlite, native = SqliteTimes(), Times()
    for _ in range(500):
        at = T0 + timedelta(seconds=rng.randrange(10**8), microseconds=rng.choice([0, rng.randrange(10**6)]))
        text = str(to_jsonable_python(at))
        assert sqlite.of_text(text) == sqlite.of(at) == at.replace(tzinfo=None).isoformat(" ", "microseconds")
        assert native.of_text(text) == native.of(at) == at.replace(tzinfo=None)
    assert sqlite.of_text("2026-01-05T09:00:00+02:00") == "2026-01-05 07:00:00.000000"
    assert sqlite.of(datetime(2026, 1, 5, 9, tzinfo=UTC)) == "2026-01-05 09:00:00.000000"
    assert sqlite.of_text(None) is None and native.of_text(None) is None


def test_memoised_sqlite_times_stay_each_instants_own_text() -> None:
    from datetime import timezone

    sqlite = SqliteTimes()
    sqlite.MEMO = 3  # type: ignore[misc]  # small enough to be cleared on the way
    east = timezone(timedelta(hours=2))
    for k in range(10):
        at = datetime(2026, 1, 5, 9, k, tzinfo=UTC)
        for same in (at, at.astimezone(east), at.replace(tzinfo=None)):  # naive: taken as UTC
            assert sqlite.of(same) == f"2026-01-05 09:{k:02d}:00.000000"
        assert sqlite.of(at.replace(tzinfo=east)) == f"2026-01-05 07:{k:02d}:00.000000", "09:0k+02:00 is 07:0k UTC"
