"""Bearer tokens (JWT, PyJWT): verified with the identity provider's keys, or the dev signing key.

* `oidc` mode (production): keys from the provider's JWKS (`COMPLAINTS_AUTH_JWKS_URL`, or found by
  OIDC discovery at `<issuer>/.well-known/openid-configuration`); issuer and audience must match.
* `dev` mode: an Ed25519 key that `complaints dev` creates under `var/dev/`; `complaints token`
  signs with it. The services read the same file, so the running dev stack accepts those tokens.

Expiry, issuer, audience and `sub` are required; a token is never logged.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from complaints.auth.staff import InvalidClaims, Staff
from complaints.settings import Settings

DEV_ALGORITHM = "EdDSA"
LEEWAY = timedelta(seconds=30)
REQUIRED = ["exp", "iat", "iss", "aud", "sub"]


class TokenRejected(Exception):
    """No valid token: the message says why (it goes into WWW-Authenticate, never the token)."""


class ProviderUnavailable(Exception):
    """The identity provider's keys could not be fetched (a 503, not the caller's fault)."""


def create_dev_key(path: Path) -> Path:
    """A fresh Ed25519 signing key at `path` (PKCS#8 PEM, readable by its owner only)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return path


def _dev_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"no dev signing key at {path}: start the dev stack (`complaints dev`) first, "
            "or point COMPLAINTS_AUTH_DEV_KEY_FILE at its key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return key


def issue_dev_token(settings: Settings, staff: Staff, ttl: timedelta, now: datetime | None = None) -> str:
    """A token for `staff` signed with the dev key: what `complaints token` prints."""
    if settings.auth_mode != "dev":
        raise ValueError("COMPLAINTS_AUTH_MODE is oidc: tokens come from the identity provider")
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {**staff.claims(), "iss": settings.auth_issuer, "aud": settings.auth_audience,
                              "iat": issued, "nbf": issued, "exp": issued + ttl}
    return jwt.encode(claims, _dev_key(settings.auth_dev_key_file), algorithm=DEV_ALGORITHM)


class Verifier:
    """Verifies bearer tokens for one service; keys are fetched lazily and cached."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._dev: tuple[float, Ed25519PublicKey] | None = None
        self._jwks: jwt.PyJWKClient | None = None

    def verify(self, token: str) -> Staff:
        """The staff behind a token; TokenRejected (401) or ProviderUnavailable (503) otherwise."""
        s = self.settings
        key, algorithms = self._key(token)
        try:
            claims = jwt.decode(token, key, algorithms=algorithms, audience=s.auth_audience, issuer=s.auth_issuer,
                                leeway=LEEWAY, options={"require": REQUIRED})
        except jwt.ExpiredSignatureError:
            raise TokenRejected("the token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(f"invalid token: {exc}") from None
        try:
            return Staff.from_claims(claims)
        except InvalidClaims as exc:
            raise TokenRejected(str(exc)) from None

    def _key(self, token: str) -> tuple[Any, list[str]]:
        if self.settings.auth_mode == "dev":
            return self._dev_public_key(), [DEV_ALGORITHM]
        try:
            signing = self._jwks_client().get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as exc:
            raise ProviderUnavailable(f"the identity provider's keys are unreachable: {exc}") from None
        except (jwt.PyJWKClientError, jwt.DecodeError) as exc:
            raise TokenRejected(f"invalid token: {exc}") from None
        return signing.key, list(self.settings.auth_algorithms)

    def _dev_public_key(self) -> Ed25519PublicKey:
        path = self.settings.auth_dev_key_file
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            raise TokenRejected(f"this service has no dev signing key ({path}); start it with `complaints dev`") \
                from None
        with self._lock:
            if self._dev is None or self._dev[0] != mtime:  # `complaints dev` makes a new key every run
                self._dev = (mtime, _dev_key(path).public_key())
            return self._dev[1]

    def _jwks_client(self) -> jwt.PyJWKClient:
        with self._lock:
            if self._jwks is None:
                url = self.settings.auth_jwks_url or self._discover()
                self._jwks = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=5)
            return self._jwks

    def _discover(self) -> str:
        """The provider's `jwks_uri`, by OIDC discovery on the configured issuer."""
        url = self.settings.auth_issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            reply = httpx.get(url, timeout=5)
            reply.raise_for_status()
            return str(reply.json()["jwks_uri"])
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise ProviderUnavailable(f"OIDC discovery at {url} failed: {exc}") from None
