"""One JSON-lines logging configuration (ids, never personal data) and the vault's counted operations."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from complaints.observability.logs import log_config, log_context, mask
from complaints.observability.records import decision_labels
from complaints.observability.vault import instrument_vault
from schemas import Escalated


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logging.config.dictConfig(log_config("intake"))
    yield out
    root.handlers, root.level = saved[0], saved[1]


def test_every_line_is_a_json_object_with_the_ids_of_the_event_at_hand(stream: io.StringIO) -> None:
    log = logging.getLogger("complaints.test")
    with log_context(complaint_id="c-1", event_id="e-1", correlation_id="c-1"):
        log.warning("dead-lettering %s@%s", "Escalated", 7)
    log.info("outside")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "dead-lettering Escalated@7" and first["level"] == "WARNING"
    assert (first["service"], first["complaint_id"], first["event_id"], first["correlation_id"]) == (
        "intake", "c-1", "e-1", "c-1")
    assert first["logger"] == "complaints.test" and first["time"]
    assert "complaint_id" not in second  # the context ends with its block


def test_contact_details_in_a_message_are_masked(stream: io.StringIO) -> None:
    logging.getLogger("x").error("failed for %s / %s", "ana@example.com", "+1 555 0100")
    line = stream.getvalue()
    assert "ana@example.com" not in line and "555 0100" not in line
    assert "<email>" in line and "<phone>" in line
    assert mask("offset 123456789 at 2026-11-23T12:00:00Z") == "offset 123456789 at 2026-11-23T12:00:00Z"


class FakeVault:
    def seal_many(self, items: list[str]) -> list[str]:
        if not items:
            raise ValueError("nothing to seal")
        return items


def test_vault_operations_are_counted_by_outcome_and_timed() -> None:
    def count(outcome: str) -> float:
        return REGISTRY.get_sample_value("complaints_vault_operations_total",
                                         {"operation": "seal_many", "outcome": outcome}) or 0.0

    ok, error = count("ok"), count("error")
    timed = REGISTRY.get_sample_value("complaints_vault_operation_duration_seconds_count",
                                      {"operation": "seal_many"}) or 0.0
    vault = instrument_vault(FakeVault())
    assert vault.seal_many(["a"]) == ["a"]
    with pytest.raises(ValueError):
        vault.seal_many([])
    assert (count("ok"), count("error")) == (ok + 1, error + 1)
    assert REGISTRY.get_sample_value("complaints_vault_operation_duration_seconds_count",
                                     {"operation": "seal_many"}) == timed + 2


def test_decisions_are_labelled_by_event_reason_and_level_only() -> None:
    from datetime import UTC, datetime

    event = Escalated(complaint_id="c-1", level="supervisor", from_level="front_line", reason="sla_breached",
                      reasons=("late",), sla_due_at=datetime(2026, 1, 1, tzinfo=UTC), episode=1,
                      policy_version="p")
    assert decision_labels(event) == ("Escalated", "sla_breached", "supervisor")
