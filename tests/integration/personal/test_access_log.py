"""The access log is append-only in the database itself, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from complaints.personal.access_log import AccessLog


def test_reads_and_erasures_are_listed_and_can_be_neither_changed_nor_deleted(db_url: str) -> None:
    log = AccessLog(db_url)
    try:
        first = log.append(staff_id="lee", complaint_id="c-1", customer_ref="cust_1", reason="Call back",
                           outcome="disclosed")
        log.append(staff_id="ada", complaint_id="c-2", customer_ref="cust_2", reason="Audit", outcome="erased")
        assert [(e.access_id, e.staff_id, e.reason) for e in log.for_case("c-1")] == [(first.access_id, "lee",
                                                                                       "Call back")]
        log.erased(staff_id="ada", customer_ref="cust_2", reason="Request #9", erased=True)
        for statement in ("UPDATE personal_data_access SET reason = 'nothing to see'",
                          "DELETE FROM personal_data_access", "DELETE FROM customer_erasures",
                          "UPDATE customer_erasures SET erased = false"):
            with pytest.raises(DBAPIError, match="append-only"), log.engine.begin() as conn:
                conn.execute(text(statement))
        AccessLog(db_url).dispose()  # a second service starting on the same database keeps the guard
        with pytest.raises(DBAPIError, match="append-only"), log.engine.begin() as conn:
            conn.execute(text("DELETE FROM personal_data_access"))
        assert len(log.for_case("c-1")) == len(log.for_case("c-2")) == len(log.erasures_of("cust_2")) == 1
    finally:
        log.dispose()
