"""Customer keys wrapped by the master key (AES-256-GCM), each stored with its master key's id.

The wrapped form is `nonce (12 bytes) || ciphertext+tag`, bound to its customer reference (a
wrapped key copied to another customer's row does not unwrap). A row with no key id is a
key stored before wrapping existed: read as it is, and wrapped by the next rotation.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from complaints.pii.secrets import VaultSecrets


class UnknownMasterKey(LookupError):
    """A customer key wrapped by a master key that is not configured (current or previous)."""


class KeyWrap:
    def __init__(self, secrets: VaultSecrets) -> None:
        self.kid = secrets.master.kid
        self._ciphers = {k.kid: AESGCM(k.key) for k in (*secrets.previous, secrets.master)}

    def wrap(self, ref: str, key: bytes) -> tuple[str, bytes]:
        nonce = os.urandom(12)
        return self.kid, nonce + self._ciphers[self.kid].encrypt(nonce, key, _aad(ref))

    def unwrap(self, ref: str, kid: str | None, stored: bytes) -> bytes:
        if kid is None:
            return stored  # written before keys were wrapped
        cipher = self._ciphers.get(kid)
        if cipher is None:
            raise UnknownMasterKey(f"customer keys wrapped by master key {kid!r}, which is not configured: add it to "
                                   "COMPLAINTS_VAULT_PREVIOUS_MASTER_KEYS and run `complaints rotate-master-key`")
        try:
            return cipher.decrypt(stored[:12], stored[12:], _aad(ref))
        except InvalidTag as exc:
            raise UnknownMasterKey(f"the key of {ref} does not unwrap with master key {kid!r}") from exc


def _aad(ref: str) -> bytes:
    return f"vault-key.v1:{ref}".encode()
