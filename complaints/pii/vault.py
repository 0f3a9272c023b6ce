"""The PII vault: one AES-256-GCM key per customer, held outside the log.

Events carry a pseudonymous `customer_ref` and `Sealed` blobs. Erasing a
customer deletes their key and identity lookups: every blob ever written for
them becomes unreadable, while case history and metrics stay intact.
Identity lookups store only an HMAC of each identifier (keyed by
`COMPLAINTS_PII_LOOKUP_SECRET`), so the vault itself holds no clear identifiers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Column, DateTime, LargeBinary, MetaData, String, Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from complaints.db import ensure_schema, make_engine
from schemas.common import Sealed

metadata = MetaData()
keys = Table(
    "vault_keys",
    metadata,
    Column("customer_ref", String(64), primary_key=True),
    Column("key", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
identities = Table(
    "vault_identities",
    metadata,
    Column("lookup", String(64), primary_key=True),
    Column("customer_ref", String(64), nullable=False, index=True),
)


class KeyErased(LookupError):
    """The customer's key is gone (erased) or never existed: the blob is unreadable."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


class Vault:
    def __init__(self, url: str, lookup_secret: str) -> None:
        self.engine = make_engine(url)
        self._secret = lookup_secret.encode()
        ensure_schema(self.engine, metadata)

    def _lookup(self, kind: str, value: str) -> str:
        normalised = value.strip().lower()
        return hmac.new(self._secret, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()

    def customer_ref(self, identifiers: Mapping[str, str | None]) -> str:
        """The ref for these identifiers (id/email/phone/handle), creating customer + key if new.

        Any identifier already known maps to its customer; new identifiers are linked to it.
        """
        lookups = [self._lookup(k, v) for k, v in sorted(identifiers.items()) if v]
        if not lookups:
            raise ValueError("at least one identifier is required")
        with self.engine.begin() as conn:
            found = conn.execute(
                select(identities.c.customer_ref).where(identities.c.lookup.in_(lookups))
            ).scalars().first()
            ref = found or f"cust_{uuid.uuid4().hex}"
            if not found:
                conn.execute(insert(keys).values(customer_ref=ref, key=AESGCM.generate_key(256),
                                                 created_at=datetime.now(UTC)))
        for lookup in lookups:  # link new identifiers; a concurrent insert of the same one is fine
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(identities).values(lookup=lookup, customer_ref=ref))
            except IntegrityError:
                pass
        return ref

    def _key(self, ref: str) -> bytes:
        with self.engine.connect() as conn:
            key = conn.execute(select(keys.c.key).where(keys.c.customer_ref == ref)).scalar()
        if key is None:
            raise KeyErased(ref)
        return bytes(key)

    def seal(self, ref: str, data: Mapping[str, Any], aad: str) -> Sealed:
        nonce = os.urandom(12)
        plaintext = json.dumps(data, sort_keys=True, default=str).encode()
        ciphertext = AESGCM(self._key(ref)).encrypt(nonce, plaintext, aad.encode())
        return Sealed(key_ref=ref, nonce=_b64(nonce), ciphertext=_b64(ciphertext))

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
