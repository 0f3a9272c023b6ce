"""A database outage pauses a worker: nothing is dead-lettered, nothing lost, work resumes after."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from complaints.settings import Settings
from tests.conftest import PG_URL, require_postgres
from tests.integration.lifecycle.test_delivery_guarantees import complaint, offers_by_case, publish, wait_offers
from tests.kafka_helpers import read_topic
from tests.stack import Stack

pytestmark = pytest.mark.postgres


@pytest.fixture
def lockable_db() -> Iterator[tuple[str, Engine, str]]:
    """A PostgreSQL schema owned by a role of its own, which the test can lock out and let back in."""
    require_postgres()
    role = f"outage_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(f'CREATE SCHEMA "{role}" AUTHORIZATION "{role}"'))
    url = make_url(PG_URL).set(username=role).update_query_dict({"options": f"-csearch_path={role}"})
    try:
        yield url.render_as_string(hide_password=False), admin, role
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" LOGIN'))
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"))
            conn.execute(text(f'DROP SCHEMA "{role}" CASCADE'))
            conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def test_a_database_outage_pauses_the_worker_and_loses_nothing(
        settings: Settings, tmp_path: Path, lockable_db: tuple[str, Engine, str]) -> None:
    url, admin, role = lockable_db
    stack = Stack(settings.model_copy(update={"database_url": url}), tmp_path).start("recovery")
    try:
        before = [complaint(n, "before") for n in range(3)]
        publish(settings, before)
        wait_offers(settings, {e.complaint_id for e in before})
        with admin.begin() as conn:  # the database goes away: no new logins, open sessions killed
            conn.execute(text(f'ALTER ROLE "{role}" NOLOGIN'))
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"))
        during = [complaint(n, "during") for n in range(20)]
        publish(settings, during)
        time.sleep(4)
        down = stack["recovery"].stats()
        assert not {e.complaint_id for e in during} & set(offers_by_case(settings))
        with admin.begin() as conn:
            conn.execute(text(f'ALTER ROLE "{role}" LOGIN'))
        offers = wait_offers(settings, {e.complaint_id for e in during})
        after = stack["recovery"].stats()
    finally:
        stack.stop()
    assert all(len(ids) == 1 for ids in offers.values())
    assert down["retries"] > 0  # it was really waiting on the database, not idle
    assert after["dead_lettered"] == 0
    assert read_topic(settings, "ComplaintReceived.dlq", idle=0.3) == []
