"""Bearer tokens: what the dev stack signs verifies to the same staff member; anything else is refused."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest

from complaints.auth.staff import Staff
from complaints.auth.tokens import TokenRejected, Verifier, create_dev_key, issue_dev_token
from complaints.settings import Settings

ANA = Staff(id="ana", level="manager", departments=frozenset({"finance"}), roles=frozenset({"agent", "lead"}))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(auth_dev_key_file=create_dev_key(tmp_path / "key.pem"))


def test_a_dev_token_verifies_to_the_same_staff_member(settings: Settings) -> None:
    token = issue_dev_token(settings, ANA, timedelta(hours=8))
    assert Verifier(settings).verify(token) == ANA
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 8 * 3600
    assert (claims["iss"], claims["aud"]) == ("complaints-dev", "complaints")


def test_the_key_file_is_readable_by_its_owner_only(settings: Settings) -> None:
    assert os.stat(settings.auth_dev_key_file).st_mode & 0o077 == 0


def test_an_expired_token_is_refused_saying_so(settings: Settings) -> None:
    old = issue_dev_token(settings, ANA, timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(TokenRejected, match="expired"):
        Verifier(settings).verify(old)


@pytest.mark.parametrize("other", [{"auth_issuer": "someone-else"}, {"auth_audience": "another-api"}])
def test_a_token_for_another_issuer_or_audience_is_refused(settings: Settings, other: dict[str, str]) -> None:
    token = issue_dev_token(settings.model_copy(update=other), ANA, timedelta(hours=1))
    with pytest.raises(TokenRejected, match="invalid token"):
        Verifier(settings).verify(token)


def test_a_token_signed_with_another_key_is_refused(settings: Settings, tmp_path: Path) -> None:
    stranger = settings.model_copy(update={"auth_dev_key_file": create_dev_key(tmp_path / "stranger.pem")})
    with pytest.raises(TokenRejected, match="Signature"):
        Verifier(settings).verify(issue_dev_token(stranger, ANA, timedelta(hours=1)))


def test_unsigned_and_symmetric_tokens_are_refused(settings: Settings) -> None:
    claims = {**ANA.claims(), "iss": "complaints-dev", "aud": "complaints", "iat": datetime.now(UTC),
              "exp": datetime.now(UTC) + timedelta(hours=1)}
    for forged in (jwt.encode(claims, None, algorithm="none"),  # type: ignore[arg-type]
                   jwt.encode(claims, "guess" * 8, algorithm="HS256")):
        with pytest.raises(TokenRejected):
            Verifier(settings).verify(forged)


def test_a_token_without_an_expiry_is_refused(settings: Settings) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(settings.auth_dev_key_file.read_bytes(), None)
    forever = jwt.encode({**ANA.claims(), "iss": "complaints-dev", "aud": "complaints", "iat": datetime.now(UTC)},
                         key, algorithm="EdDSA")  # type: ignore[arg-type]
    with pytest.raises(TokenRejected, match="exp"):
        Verifier(settings).verify(forever)


def test_claims_that_are_not_a_staff_identity_are_refused_naming_the_claim(settings: Settings) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(settings.auth_dev_key_file.read_bytes(), None)
    base = {"iss": "complaints-dev", "aud": "complaints", "iat": datetime.now(UTC),
            "exp": datetime.now(UTC) + timedelta(hours=1)}
    for claims, named in (({"sub": "x", "level": "boss"}, "level"), ({"sub": "x", "roles": ["root"]}, "roles"),
                          ({"sub": "has space"}, "sub"), ({"sub": "ana@corp.example"}, "sub")):
        token = jwt.encode({**base, **claims}, key, algorithm="EdDSA")  # type: ignore[arg-type]
        with pytest.raises(TokenRejected, match=f"claim '{named}'"):
            Verifier(settings).verify(token)


def test_names_and_emails_in_a_token_never_reach_the_principal(settings: Settings) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(settings.auth_dev_key_file.read_bytes(), None)
    token = jwt.encode({**ANA.claims(), "name": "Ana Example", "email": "ana@example.com", "iss": "complaints-dev",
                        "aud": "complaints", "iat": datetime.now(UTC), "exp": datetime.now(UTC) + timedelta(hours=1)},
                       key, algorithm="EdDSA")  # type: ignore[arg-type]
    staff = Verifier(settings).verify(token)
    assert "Ana Example" not in repr(staff) and "ana@example.com" not in repr(staff)
    assert set(Staff.model_fields) == {"id", "level", "departments", "roles"}


def test_a_new_dev_key_replaces_the_old_one_without_a_restart(settings: Settings) -> None:
    verifier = Verifier(settings)
    before = issue_dev_token(settings, ANA, timedelta(hours=1))
    assert verifier.verify(before) == ANA
    os.utime(create_dev_key(settings.auth_dev_key_file), (1, 1))  # `complaints dev` again: a new key
    with pytest.raises(TokenRejected):
        verifier.verify(before)
    assert verifier.verify(issue_dev_token(settings, ANA, timedelta(hours=1))) == ANA


def test_without_a_dev_key_every_token_is_refused_with_a_hint(tmp_path: Path) -> None:
    settings = Settings(auth_dev_key_file=tmp_path / "absent.pem")
    with pytest.raises(TokenRejected, match="complaints dev"):
        Verifier(settings).verify("a.b.c")
    with pytest.raises(FileNotFoundError, match="complaints dev"):
        issue_dev_token(settings, ANA, timedelta(hours=1))


def test_oidc_mode_never_signs_tokens_itself(settings: Settings) -> None:
    with pytest.raises(ValueError, match="identity provider"):
        issue_dev_token(settings.model_copy(update={"auth_mode": "oidc"}), ANA, timedelta(hours=1))
