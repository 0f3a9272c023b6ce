"""The PII vault: one AES-256-GCM key per customer, held outside the log.

Events carry a pseudonymous `customer_ref` and `Sealed` blobs. Erasing a
customer deletes their key and identity lookups: every blob ever written for
them becomes unreadable, while case history and metrics stay intact.
Identity look-ups store only an HMAC of each identifier set (keyed by
`COMPLAINTS_PII_LOOKUP_SECRET`), so the vault itself holds no clear identifiers, and a set
is never merged with another (complaints/pii/grouping.py). Customer keys are stored wrapped
by the master key (complaints/pii/keywrap.py), with its id: a copy of the vault's database
alone opens nothing; `complaints.pii.rotation.rewrap` moves every key to the current master key.

Grouped calls (`customer_refs`, `seal_many`) do a whole group in ONE transaction: one
query reads every lookup of the group with its customer's key, one executemany inserts the
new customers' keys and one their new identifiers. Keys are never remembered between
calls, so an erased customer's key is never used again, and a lookup whose customer was
erased (left by a race with `erase`) counts as unknown and is replaced.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    bindparam,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from complaints.db import ensure_schema, make_engine
from complaints.pii.grouping import resolve
from complaints.pii.keywrap import KeyWrap
from complaints.pii.secrets import VaultSecrets, vault_secrets
from complaints.pii.tables import add_kek_column, identities, keys, metadata
from complaints.settings import Settings
from schemas.common import Sealed

# Statements built once: building one per call costs more than running it.
_LOOKUPS = (select(identities.c.lookup, identities.c.customer_ref, keys.c.key, keys.c.kek_id)
            .select_from(identities.outerjoin(keys, keys.c.customer_ref == identities.c.customer_ref))
            .where(identities.c.lookup.in_(bindparam("b_lookups", expanding=True))))
_KEY = select(keys.c.key, keys.c.kek_id).where(keys.c.customer_ref == bindparam("b_ref"))
_DROP_STALE = delete(identities).where(identities.c.lookup == bindparam("b_lookup"),
                                       identities.c.customer_ref == bindparam("b_ref"))
_INSERT_KEYS = insert(keys)
_INSERT_IDENTITIES = insert(identities)
#: Tries of a group whose new identifiers another vault (replica) inserted meanwhile.
ATTEMPTS = 5


class KeyErased(LookupError):
    """The customer's key is gone (erased) or never existed: the blob is unreadable."""


class ToSeal(NamedTuple):
    """One submission for `seal_many`: who the customer is, their data, and what the blob is bound to."""

    identifiers: Mapping[str, str | None]
    data: Mapping[str, Any]
    aad: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _new_ref() -> str:
    return f"cust_{uuid.uuid4().hex}"


def _seal(cipher: AESGCM, ref: str, data: Mapping[str, Any], aad: str) -> Sealed:
    nonce = os.urandom(12)
    plaintext = json.dumps(data, sort_keys=True, default=str).encode()
    ciphertext = cipher.encrypt(nonce, plaintext, aad.encode())
    return Sealed(key_ref=ref, nonce=_b64(nonce), ciphertext=_b64(ciphertext))


class Vault:
    def __init__(self, url: str, secrets: VaultSecrets) -> None:
        self.engine = make_engine(url)
        self._secret = secrets.lookup_secret
        self.keywrap = KeyWrap(secrets)
        ensure_schema(self.engine, metadata)
        add_kek_column(self.engine)

    @property
    def master_kid(self) -> str:
        return self.keywrap.kid

    @classmethod
    def from_settings(cls, settings: Settings) -> Vault:
        """The configured vault; raises `UnsafeSecrets` on an empty or public secret outside `dev`."""
        return cls(settings.vault_url, vault_secrets(settings))

    def _lookup(self, identifiers: Mapping[str, str | None]) -> str:
        """The HMAC of the whole set of given identifiers (normalised, by kind)."""
        given = [f"{kind}:{value.strip().lower()}" for kind, value in sorted(identifiers.items()) if value]
        if not given:
            raise ValueError("at least one identifier is required")
        return hmac.new(self._secret, "\n".join(["set.v1", *given]).encode(), hashlib.sha256).hexdigest()

    def customer_ref(self, identifiers: Mapping[str, str | None]) -> str:
        """The ref for exactly this set of identifiers (id/email/phone/handle), creating customer + key if new."""
        return self.customer_refs([identifiers])[0]

    def customer_refs(self, identifier_sets: Sequence[Mapping[str, str | None]]) -> list[str]:
        """`customer_ref` for a group, in one transaction, as if asked one set at a time in order."""
        return [ref for ref, _ in self._customers(identifier_sets)]

    def seal_many(self, items: Sequence[ToSeal]) -> list[Sealed]:
        """Each item's data sealed with its customer's key (`Sealed.key_ref` is the customer ref)."""
        customers = self._customers([item.identifiers for item in items])
        ciphers = {ref: AESGCM(key) for ref, key in dict(customers).items()}
        return [_seal(ciphers[ref], ref, item.data, item.aad) for (ref, _), item in zip(customers, items, strict=True)]

    def _customers(self, identifier_sets: Sequence[Mapping[str, str | None]]) -> list[tuple[str, bytes]]:
        if not identifier_sets:
            return []
        lookups = [self._lookup(ids) for ids in identifier_sets]
        wanted = sorted(set(lookups))
        for attempt in range(ATTEMPTS):
            try:
                return self._resolve_once(lookups, wanted)
            except IntegrityError:  # another vault linked one of these identifiers first: read again
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _resolve_once(self, lookups: list[str], wanted: list[str]) -> list[tuple[str, bytes]]:
        with self.engine.begin() as conn:
            rows = conn.execute(_LOOKUPS, {"b_lookups": wanted}).all() if wanted else []
            key_of = {r.customer_ref: self.keywrap.unwrap(r.customer_ref, r.kek_id, bytes(r.key))
                      for r in rows if r.key is not None}
            plan = resolve(lookups, {r.lookup: r.customer_ref for r in rows if r.key is not None}, _new_ref)
            # rows in lookup order: replicas inserting overlapping groups then wait for each other, never deadlock
            stale = [{"b_lookup": lookup, "b_ref": ref}
                     for lookup, ref in sorted((r.lookup, r.customer_ref) for r in rows if r.key is None)]
            if stale:  # identifiers linked to an erased customer by a race with `erase`
                conn.execute(_DROP_STALE, stale)
            if plan.created:
                now = datetime.now(UTC)
                new_keys = {ref: AESGCM.generate_key(256) for ref in plan.created}
                wrapped = {ref: self.keywrap.wrap(ref, key) for ref, key in new_keys.items()}
                conn.execute(_INSERT_KEYS, [{"customer_ref": ref, "key": blob, "kek_id": kid, "created_at": now}
                                            for ref, (kid, blob) in wrapped.items()])
                key_of.update(new_keys)
            if plan.links:
                conn.execute(_INSERT_IDENTITIES, [{"lookup": lookup, "customer_ref": ref}
                                                  for lookup, ref in sorted(plan.links.items())])
        return [(ref, key_of[ref]) for ref in plan.refs]

    def _key(self, ref: str) -> bytes:
        with self.engine.connect() as conn:
            row = conn.execute(_KEY, {"b_ref": ref}).first()
        if row is None:
            raise KeyErased(ref)
        return self.keywrap.unwrap(ref, row.kek_id, bytes(row.key))

    def seal(self, ref: str, data: Mapping[str, Any], aad: str) -> Sealed:
        return _seal(AESGCM(self._key(ref)), ref, data, aad)

    def open(self, sealed: Sealed, aad: str) -> dict[str, Any]:
        key = self._key(sealed.key_ref)
        nonce = base64.urlsafe_b64decode(sealed.nonce)
        plaintext = AESGCM(key).decrypt(nonce, base64.urlsafe_b64decode(sealed.ciphertext), aad.encode())
        return dict(json.loads(plaintext))

    def erase(self, ref: str) -> bool:
        """Crypto-shred a customer: returns True if there was anything to erase."""
        with self.engine.begin() as conn:
            conn.execute(delete(identities).where(identities.c.customer_ref == ref))
            return bool(conn.execute(delete(keys).where(keys.c.customer_ref == ref)).rowcount)
