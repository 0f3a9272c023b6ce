"""The vault's grouped calls on SQLite and PostgreSQL: one transaction per group, same customers as one by one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import event, func, select

from complaints.pii import KeyErased, ToSeal, Vault
from complaints.pii.vault import identities, keys
from tests.conftest import TEST_SECRETS


@pytest.fixture
def vault(db_url: str) -> Iterator[Vault]:
    v = Vault(db_url, TEST_SECRETS)
    yield v
    v.engine.dispose()


def count(vault: Vault, table: Any) -> int:
    with vault.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_duplicates_within_a_group_are_one_customer_with_one_key(vault: Vault) -> None:
    refs = vault.customer_refs([
        {"email": "ana@example.com", "phone": "+1 555"},
        {"email": "ANA@example.com ", "phone": "+1 555"},  # the same set, normalised
        {"phone": "+1 555"},  # another set: never merged with the first
        {"handle": "@bo"},
        {"handle": "@bo", "id": None},
    ])
    assert refs[0] == refs[1] != refs[2] != refs[3] == refs[4] and refs[2] != refs[0]
    assert count(vault, keys) == 3 and count(vault, identities) == 3
    assert vault.customer_ref({"phone": "+1 555", "email": "ana@example.com"}) == refs[0]  # one-by-one afterwards


def test_someone_elses_identifier_never_attaches_a_submission_to_that_customer(vault: Vault) -> None:
    ana = vault.customer_ref({"email": "ana@example.com", "phone": "+1 555"})
    stranger = vault.customer_refs([{"email": "ana@example.com"}, {"email": "ana@example.com", "phone": "+1 999"},
                                    {"phone": "+1 555", "handle": "@mallory"}])
    assert ana not in stranger and len(set(stranger)) == 3
    assert vault.customer_ref({"email": "ana@example.com", "phone": "+1 555"}) == ana  # Ana is still herself


def test_existing_customers_are_found_and_sealed_with_their_own_key(vault: Vault) -> None:
    ana = vault.customer_ref({"email": "ana@example.com", "phone": "+1 555"})
    blobs = vault.seal_many([
        ToSeal({"email": "ana@example.com", "phone": "+1 555"}, {"name": "Ana"}, "case-1"),
        ToSeal({"email": "cy@example.com"}, {"name": "Cy"}, "case-2"),
        ToSeal({"phone": "+1 555", "email": "Ana@example.com"}, {"name": "Ana again"}, "case-3"),
    ])
    assert [b.key_ref for b in blobs] == [ana, blobs[1].key_ref, ana] and blobs[1].key_ref != ana
    assert vault.open(blobs[0], aad="case-1") == {"name": "Ana"}
    assert vault.open(blobs[1], aad="case-2") == {"name": "Cy"}
    assert vault.open(blobs[2], aad="case-3") == {"name": "Ana again"}
    with pytest.raises(Exception):  # noqa: B017 - each blob is bound to its own case
        vault.open(blobs[2], aad="case-1")
    assert count(vault, keys) == 2


def test_an_erased_customer_gets_a_new_ref_and_key_and_old_blobs_stay_unreadable(vault: Vault) -> None:
    [old] = vault.seal_many([ToSeal({"email": "ana@example.com"}, {"name": "Ana"}, "case-1")])
    assert vault.erase(old.key_ref)
    new, again = vault.seal_many([ToSeal({"email": "ana@example.com"}, {"name": "Ana"}, "case-2"),
                                  ToSeal({"email": "ana@example.com"}, {"name": "Ana"}, "case-3")])
    assert new.key_ref == again.key_ref != old.key_ref
    with pytest.raises(KeyErased):
        vault.open(old, aad="case-1")
    assert vault.open(new, aad="case-2") == {"name": "Ana"}
    with pytest.raises(KeyErased):
        vault.seal(old.key_ref, {"x": 1}, aad="case-4")


def test_an_identifier_left_linked_to_an_erased_customer_is_replaced(vault: Vault) -> None:
    ref = vault.customer_ref({"email": "ana@example.com"})
    lookup = vault._lookup({"phone": "+1 555"})
    vault.erase(ref)
    with vault.engine.begin() as conn:  # what a race between a link and `erase` can leave behind
        conn.execute(identities.insert().values(lookup=lookup, customer_ref=ref))
    [blob] = vault.seal_many([ToSeal({"phone": "+1 555"}, {"name": "Ana"}, "case-1")])
    assert blob.key_ref != ref and vault.open(blob, aad="case-1") == {"name": "Ana"}
    assert vault.customer_ref({"phone": "+1 555"}) == blob.key_ref


def test_a_replica_linking_the_same_new_identifiers_first_wins_and_is_used(db_url: str, vault: Vault) -> None:
    replica = Vault(db_url, TEST_SECRETS)
    theirs: list[str] = []

    @event.listens_for(vault.engine, "before_cursor_execute")
    def replica_first(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # between this vault's lookup and its inserts, the replica creates the same customer
        if statement.lstrip().upper().startswith("INSERT INTO VAULT_KEYS") and not theirs:
            theirs.append(replica.customer_ref({"email": "ana@example.com", "phone": "+1 555"}))

    refs = vault.customer_refs([{"email": "ana@example.com", "phone": "+1 555"}, {"handle": "@bo"}])
    event.remove(vault.engine, "before_cursor_execute", replica_first)
    assert theirs and refs[0] == theirs[0] != refs[1]  # the IntegrityError was resolved to the replica's customer
    assert vault.customer_ref({"phone": "+1 555", "email": "ana@example.com"}) == theirs[0]
    assert count(vault, keys) == 2  # this vault's key for the lost race was rolled back
    replica.engine.dispose()


def test_two_vaults_racing_on_one_database_agree_on_every_customer(db_url: str, vault: Vault) -> None:
    replica = Vault(db_url, TEST_SECRETS)
    start = threading.Barrier(2)

    def run(v: Vault) -> list[list[str]]:
        start.wait()
        return [v.customer_refs([{"email": f"c{(g * 3 + i) % 40}@example.com"} for i in range(6)]) for g in range(30)]

    with ThreadPoolExecutor(2) as pool:
        mine, theirs = pool.map(run, [vault, replica])
    stored = {f"c{n}@example.com": vault.customer_ref({"email": f"c{n}@example.com"}) for n in range(40)}
    for results in (mine, theirs):
        for g, refs in enumerate(results):
            assert refs == [stored[f"c{(g * 3 + i) % 40}@example.com"] for i in range(6)]
    assert count(vault, keys) == 40 and count(vault, identities) == 40
    replica.engine.dispose()


def test_groups_need_an_identifier_in_every_set(vault: Vault) -> None:
    with pytest.raises(ValueError):
        vault.customer_refs([{"email": "ana@example.com"}, {"email": None, "phone": ""}])
    assert vault.customer_refs([]) == [] and vault.seal_many([]) == []
    assert count(vault, keys) == 0
