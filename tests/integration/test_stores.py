"""The services' own tables on SQLite and PostgreSQL: vault, intake idempotency, worker case state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from complaints.pii import KeyErased, Vault
from complaints.worker.store import CaseStore, Conflict
from services.intake.store import IntakeStore
from tests.conftest import TEST_SECRETS

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_vault_knows_customers_by_their_identifier_set_seals_and_shreds(db_url: str) -> None:
    vault = Vault(db_url, TEST_SECRETS)
    ref = vault.customer_ref({"email": "Ana@Example.com", "phone": None})
    assert vault.customer_ref({"email": "ana@example.com "}) == ref  # normalised
    assert vault.customer_ref({"email": "ana@example.com", "phone": "+1 555"}) != ref  # never merged
    assert vault.customer_ref({"handle": "@someone-else"}) != ref
    sealed = vault.seal(ref, {"email": "ana@example.com"}, aad="case-1")
    assert vault.open(sealed, aad="case-1") == {"email": "ana@example.com"}
    with pytest.raises(Exception):  # noqa: B017 - bound to its case: another aad does not open it
        vault.open(sealed, aad="case-2")
    assert vault.erase(ref) and not vault.erase(ref)
    with pytest.raises(KeyErased):
        vault.open(sealed, aad="case-1")
    assert vault.customer_ref({"email": "ana@example.com"}) != ref  # a new identity after erasure


def test_idempotency_claims_are_shared_by_replicas(db_url: str) -> None:
    first, replica = IntakeStore(db_url), IntakeStore(db_url)
    claim = first.claim("key-1", "fp-1", "c-1", "{}", NOW)
    assert replica.claim("key-1", "fp-2", "c-other", "{}", NOW) == claim  # the first claim stands
    replica.mark_published("key-1", "ComplaintReceived:1:7")
    assert first.get("key-1").position == "ComplaintReceived:1:7"  # type: ignore[union-attr]


def test_prior_complaints_count_within_the_window(db_url: str) -> None:
    store = IntakeStore(db_url)
    assert store.prior_complaints("cust", "c-1", NOW - timedelta(days=400), days=365) == 0
    assert store.prior_complaints("cust", "c-2", NOW - timedelta(days=10), days=365) == 0  # c-1 too old
    assert store.prior_complaints("cust", "c-3", NOW, days=365) == 1
    assert store.prior_complaints("cust", "c-3", NOW, days=365) == 1  # a retried request counts once


def test_case_store_optimistic_concurrency_and_due_index(db_url: str) -> None:
    a, b = CaseStore(db_url, "escalation"), CaseStore(db_url, "escalation")
    a.save("c-1", 2, '{"v": 1}', NOW, version=0)
    state, version, partition = b.load("c-1")
    assert (state, version, partition) == ('{"v": 1}', 1, 2)
    a.save("c-1", 2, '{"v": 2}', NOW + timedelta(minutes=5), version=1)
    with pytest.raises(Conflict):
        b.save("c-1", 2, '{"v": "stale"}', None, version=1)
    with pytest.raises(Conflict):
        b.save("c-1", 2, '{"v": "dup"}', None, version=0)
    a.save("c-2", 3, "{}", NOW - timedelta(minutes=1), version=0)
    a.save("c-3", 2, "{}", NOW - timedelta(minutes=2), version=0)
    a.save("c-4", 2, "{}", None, version=0)
    assert a.due({2, 3}, NOW) == ["c-3", "c-2"]  # most overdue first; c-1 not yet due; c-4 never
    assert a.due({3}, NOW) == ["c-2"] and a.due(set(), NOW) == []
    assert CaseStore(db_url, "recovery").due({2, 3}, NOW) == []  # each service has its own cases
