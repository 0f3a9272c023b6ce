"""The projections service's process tuning."""

from __future__ import annotations

import platform

import pytest

from services.projections.tuning import limit_malloc_arenas, read_threads


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_malloc_arenas_are_limited_on_glibc() -> None:
    assert limit_malloc_arenas() is True
    assert limit_malloc_arenas(1) is True  # may be set again (it only bounds arenas made from now on)
    assert limit_malloc_arenas() is True


def test_reads_at_once_follow_the_setting_else_the_database_and_the_cores() -> None:
    assert read_threads(3, "sqlite:///x.db", cores=16) == 3  # COMPLAINTS_PROJECTIONS_READ_THREADS wins
    # SQLite runs a read's SQL in this process: one read per core; PostgreSQL runs it in the server
    assert read_threads(0, "sqlite:///x.db", cores=2) == 2
    assert read_threads(0, "sqlite:///x.db", cores=8) == 8
    assert read_threads(0, "postgresql+psycopg://h/db", cores=2) == 4
    assert read_threads(0, "sqlite:///x.db", cores=1) == 2  # never one: a slow read would hold every other
