"""Fixtures of the ingest tests that read the stores directly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.projections.storage.store import Catalog


@pytest.fixture
def catalog(db_url: str) -> Iterator[Catalog]:
    """The read model's catalog on the test's fresh database, disposed afterwards."""
    cat = Catalog(db_url)
    try:
        yield cat
    finally:
        cat.dispose()
