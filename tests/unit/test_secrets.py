"""Services refuse to start on an empty or public secret outside the dev profile."""

from __future__ import annotations

import pytest

from complaints.pii.secrets import DEV_LOOKUP_SECRET, DEV_MASTER_KEY, UnsafeSecrets, new_master_key, vault_secrets
from complaints.settings import Settings

GOOD_LOOKUP = "a-real-lookup-secret-of-our-own"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


@pytest.mark.parametrize(("lookup", "master", "named"), [
    (None, new_master_key("k1"), "COMPLAINTS_PII_LOOKUP_SECRET is not set"),
    ("   ", new_master_key("k1"), "COMPLAINTS_PII_LOOKUP_SECRET is not set"),
    (DEV_LOOKUP_SECRET, new_master_key("k1"), "COMPLAINTS_PII_LOOKUP_SECRET is a public default"),
    ("short", new_master_key("k1"), "COMPLAINTS_PII_LOOKUP_SECRET is too short"),
    (GOOD_LOOKUP, None, "COMPLAINTS_VAULT_MASTER_KEY is not set"),
    (GOOD_LOOKUP, DEV_MASTER_KEY, "COMPLAINTS_VAULT_MASTER_KEY is a public default"),
    (GOOD_LOOKUP, "no-key-id", "expected `<key id>:<base64 of 32 bytes>`"),
    (GOOD_LOOKUP, "k1:c2hvcnQ=", "has 5 bytes, 32 are needed"),
])
def test_production_refuses_missing_public_or_malformed_secrets(lookup: str | None, master: str | None,
                                                                 named: str) -> None:
    with pytest.raises(UnsafeSecrets, match=named):
        vault_secrets(settings(pii_lookup_secret=lookup, vault_master_key=master))


def test_production_takes_real_secrets_and_previous_master_keys() -> None:
    old, new = new_master_key("old"), new_master_key("new")
    out = vault_secrets(settings(pii_lookup_secret=GOOD_LOOKUP, vault_master_key=new,
                                 vault_previous_master_keys=f"{old}, {new}"))
    assert out.master.kid == "new" and [k.kid for k in out.previous] == ["old"]
    assert out.lookup_secret == GOOD_LOOKUP.encode()
    assert GOOD_LOOKUP not in repr(out) and str(out.master.key) not in repr(out)  # never in a log line


def test_the_dev_profile_runs_on_the_public_dev_values() -> None:
    out = vault_secrets(settings(profile="dev"))
    assert out.lookup_secret == DEV_LOOKUP_SECRET.encode() and out.master.kid == "dev"


def test_one_key_id_cannot_name_two_keys() -> None:
    with pytest.raises(UnsafeSecrets, match="names two different keys"):
        vault_secrets(settings(pii_lookup_secret=GOOD_LOOKUP, vault_master_key=new_master_key("k"),
                               vault_previous_master_keys=new_master_key("k")))
