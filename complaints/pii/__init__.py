"""Personal data off the log: per-customer keys (crypto-shredding) and pseudonymous refs."""

from complaints.pii.secrets import UnsafeSecrets, VaultSecrets
from complaints.pii.vault import KeyErased, ToSeal, Vault

__all__ = ["KeyErased", "ToSeal", "UnsafeSecrets", "Vault", "VaultSecrets"]
