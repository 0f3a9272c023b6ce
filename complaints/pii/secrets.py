"""The vault's secrets from configuration, and the refusal to run on empty or public ones.

Two secrets guard personal data: the look-up secret (HMAC key turning contact details into
look-ups, `COMPLAINTS_PII_LOOKUP_SECRET`) and the master key that wraps every customer key
(`COMPLAINTS_VAULT_MASTER_KEY`, `<key id>:<base64 of 32 bytes>`; earlier ones, still needed
to unwrap while a rotation runs, in `COMPLAINTS_VAULT_PREVIOUS_MASTER_KEYS`). Outside the
`dev` profile a missing, empty or known-public value stops the service before it starts.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from complaints.settings import Settings

#: Public values: in the code, the docs or earlier defaults. Never accepted outside `dev`.
DEV_LOOKUP_SECRET = "dev-only-change-me"
DEV_MASTER_KEY = "dev:" + base64.urlsafe_b64encode(b"dev-only-master-key-change-me!!!").decode()
PUBLIC_VALUES = frozenset({DEV_LOOKUP_SECRET, DEV_MASTER_KEY, "change-me", "changeme", "secret",
                           "dev-only-console-session-secret"})
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
GENERATE = "generate one with `complaints new-master-key`"
_GENERATE_FOR = {"COMPLAINTS_PII_LOOKUP_SECRET": "generate one with `complaints new-secret`",
                 "COMPLAINTS_CUSTOMER_LINK_SECRET": "generate one with `complaints new-secret`",
                 "COMPLAINTS_VAULT_MASTER_KEY": GENERATE,
                 "COMPLAINTS_CONSOLE_SESSION_SECRET": "generate one with `complaints new-secret`"}


class UnsafeSecrets(RuntimeError):
    """A secret is missing, empty, public or malformed: the service must not start."""


@dataclass(frozen=True)
class MasterKey:
    kid: str
    key: bytes = field(repr=False)


@dataclass(frozen=True)
class VaultSecrets:
    lookup_secret: bytes = field(repr=False)
    master: MasterKey
    previous: tuple[MasterKey, ...] = ()


def parse_master_key(text: str, variable: str = "COMPLAINTS_VAULT_MASTER_KEY") -> MasterKey:
    kid, sep, encoded = text.strip().partition(":")
    if not sep or _KEY_ID.fullmatch(kid) is None:
        raise UnsafeSecrets(f"{variable}: expected `<key id>:<base64 of 32 bytes>`; {GENERATE}")
    try:
        key = base64.urlsafe_b64decode(encoded.replace("+", "-").replace("/", "_") + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError) as exc:
        raise UnsafeSecrets(f"{variable}: the key of {kid!r} is not base64; {GENERATE}") from exc
    if len(key) != 32:
        raise UnsafeSecrets(f"{variable}: the key of {kid!r} has {len(key)} bytes, 32 are needed; {GENERATE}")
    return MasterKey(kid, key)


def new_master_key(kid: str | None = None) -> str:
    """A fresh master key in configuration form; its id defaults to the current UTC time."""
    kid = kid or datetime.now(UTC).strftime("mk-%Y%m%dT%H%M%SZ")
    return f"{kid}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


def new_secret() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def require_secret(settings: Settings, variable: str, value: str, min_length: int = 16) -> str:
    """`value`, unless it is empty, public or too short outside the dev profile (then `UnsafeSecrets`)."""
    if settings.profile == "dev":
        return value
    if not value.strip() or value.strip() in PUBLIC_VALUES:
        state = "not set" if not value.strip() else "a public default"
        raise UnsafeSecrets(f"{variable} is {state}: outside the dev profile (COMPLAINTS_PROFILE=dev) it must "
                            f"be a secret of your own; {_GENERATE_FOR[variable]}")
    if len(value) < min_length:
        raise UnsafeSecrets(f"{variable} is too short (at least {min_length} characters); {_GENERATE_FOR[variable]}")
    return value


def vault_secrets(settings: Settings) -> VaultSecrets:
    """The configured secrets; raises `UnsafeSecrets` naming the variable unless they are safe to use."""
    dev = settings.profile == "dev"
    lookup = settings.pii_lookup_secret.get_secret_value() if settings.pii_lookup_secret else ""
    master = settings.vault_master_key.get_secret_value() if settings.vault_master_key else ""
    if dev:
        lookup, master = lookup or DEV_LOOKUP_SECRET, master or DEV_MASTER_KEY
    require_secret(settings, "COMPLAINTS_PII_LOOKUP_SECRET", lookup)
    require_secret(settings, "COMPLAINTS_VAULT_MASTER_KEY", master, min_length=1)
    current = parse_master_key(master)
    raw_previous = settings.vault_previous_master_keys.get_secret_value() if settings.vault_previous_master_keys else ""
    previous = tuple(parse_master_key(part, "COMPLAINTS_VAULT_PREVIOUS_MASTER_KEYS")
                     for part in raw_previous.split(",") if part.strip())
    if any(p.kid == current.kid and p.key != current.key for p in previous):
        raise UnsafeSecrets(f"master key id {current.kid!r} names two different keys")
    return VaultSecrets(lookup.encode(), current, tuple(p for p in previous if p.kid != current.kid))
