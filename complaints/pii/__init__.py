"""Personal data off the log: per-customer keys (crypto-shredding) and pseudonymous refs."""

from complaints.pii.vault import KeyErased, Vault

__all__ = ["KeyErased", "Vault"]
