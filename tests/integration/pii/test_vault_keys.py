"""Customer keys at rest: wrapped by the master key, rotated by re-wrapping, never in an error message."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from complaints.pii import ToSeal, Vault, VaultSecrets
from complaints.pii.keywrap import UnknownMasterKey
from complaints.pii.rotation import rewrap
from complaints.pii.secrets import MasterKey, parse_master_key
from complaints.pii.vault import keys
from tests.conftest import TEST_LOOKUP_SECRET

OLD = MasterKey("mk-old", os.urandom(32))
NEW = MasterKey("mk-new", os.urandom(32))


def secrets(master: MasterKey, *previous: MasterKey) -> VaultSecrets:
    return VaultSecrets(TEST_LOOKUP_SECRET.encode(), master, previous)


def stored(vault: Vault) -> list[tuple[str, bytes, str | None]]:
    with vault.engine.connect() as conn:
        return [(r.customer_ref, bytes(r.key), r.kek_id) for r in conn.execute(select(keys))]


def test_keys_are_stored_wrapped_with_their_master_key_id(db_url: str) -> None:
    vault = Vault(db_url, secrets(OLD))
    [blob] = vault.seal_many([ToSeal({"email": "ana@example.com"}, {"name": "Ana"}, "case-1")])
    [(ref, wrapped, kid)] = stored(vault)
    assert ref == blob.key_ref and kid == "mk-old" and len(wrapped) == 12 + 32 + 16
    # the database alone (another master key) opens nothing
    with pytest.raises(UnknownMasterKey):
        Vault(db_url, secrets(NEW)).open(blob, aad="case-1")
    assert Vault(db_url, secrets(OLD)).open(blob, aad="case-1") == {"name": "Ana"}
    vault.engine.dispose()


def test_a_wrapped_key_moved_to_another_customer_does_not_unwrap(db_url: str) -> None:
    vault = Vault(db_url, secrets(OLD))
    ana, bo = vault.customer_ref({"email": "ana@example.com"}), vault.customer_ref({"email": "bo@example.com"})
    sealed = vault.seal(bo, {"x": 1}, aad="case-1")
    ana_key = next(w for r, w, _ in stored(vault) if r == ana)
    with vault.engine.begin() as conn:
        conn.execute(update(keys).where(keys.c.customer_ref == bo).values(key=ana_key))
    with pytest.raises(UnknownMasterKey):
        vault.open(sealed, aad="case-1")
    vault.engine.dispose()


def test_rotation_rewraps_every_key_and_the_old_master_key_can_then_go(db_url: str) -> None:
    before = Vault(db_url, secrets(OLD))
    refs = [before.customer_ref({"email": f"c{n}@example.com"}) for n in range(7)]
    blobs = [before.seal(ref, {"n": n}, aad=f"case-{n}") for n, ref in enumerate(refs)]
    with before.engine.begin() as conn:  # a key stored before wrapping existed
        legacy = os.urandom(32)
        conn.execute(update(keys).where(keys.c.customer_ref == refs[0]).values(key=legacy, kek_id=None))
    blobs[0] = Vault(db_url, secrets(OLD)).seal(refs[0], {"n": 0}, aad="case-0")

    during = Vault(db_url, secrets(NEW, OLD))
    assert rewrap(during, batch=3) == {"mk-old": 6, "unwrapped": 1}
    assert {kid for _, _, kid in stored(during)} == {"mk-new"}
    assert rewrap(during) == {}  # again: nothing left to do
    after = Vault(db_url, secrets(NEW))  # the old master key removed from configuration
    assert [after.open(b, aad=f"case-{n}") for n, b in enumerate(blobs)] == [{"n": n} for n in range(7)]
    with pytest.raises(UnknownMasterKey):
        Vault(db_url, secrets(OLD)).open(blobs[1], aad="case-1")
    for v in (before, during, after):
        v.engine.dispose()


def test_rotate_master_key_command_rewraps_the_configured_vault(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/vault.db"
    old = f"mk-old:{base64.urlsafe_b64encode(OLD.key).decode()}"
    new = f"mk-new:{base64.urlsafe_b64encode(NEW.key).decode()}"
    vault = Vault(url, secrets(parse_master_key(old)))
    sealed = vault.seal(vault.customer_ref({"email": "ana@example.com"}), {"name": "Ana"}, aad="case-1")
    env = {**os.environ, "COMPLAINTS_VAULT_URL": url, "COMPLAINTS_PII_LOOKUP_SECRET": TEST_LOOKUP_SECRET,
           "COMPLAINTS_VAULT_MASTER_KEY": new, "COMPLAINTS_VAULT_PREVIOUS_MASTER_KEYS": old}
    out = subprocess.run([sys.executable, "-m", "complaints.cli", "rotate-master-key"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "re-wrapped 1 customer key(s) under master key 'mk-new': 1 from mk-old" in out.stdout
    assert Vault(url, secrets(NEW)).open(sealed, aad="case-1") == {"name": "Ana"}
    vault.engine.dispose()


def test_a_failed_key_insert_does_not_show_the_key(db_url: str) -> None:
    vault = Vault(db_url, secrets(OLD))
    ref = vault.customer_ref({"email": "ana@example.com"})
    [(_, wrapped, _)] = stored(vault)
    with pytest.raises(IntegrityError) as caught, vault.engine.begin() as conn:
        conn.execute(keys.insert().values(customer_ref=ref, key=wrapped, kek_id="mk-old",
                                          created_at=datetime.now(UTC)))
    text = str(caught.value)
    assert "hidden due to hide_parameters" in text
    for shown in (wrapped.hex(), repr(wrapped)[2:20], base64.b64encode(wrapped).decode()[:16]):
        assert shown not in text
    vault.engine.dispose()
