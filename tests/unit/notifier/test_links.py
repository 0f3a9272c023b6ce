"""The customer's link: signed, scoped to one case, expiring."""

from __future__ import annotations

from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from services.customer.links import SALT, LinkExpired, LinkInvalid, Links


def test_a_link_opens_its_case_only() -> None:
    links = Links("secret", "https://care.example/", timedelta(days=30))
    url = links.url("c-1")
    assert url.startswith("https://care.example/c/") and "@" not in url
    assert links.complaint_id(url.rsplit("/", 1)[1]) == "c-1"
    assert links.open(links.token("c-1", "de")) == ("c-1", "de") and links.open(links.token("c-1")) == ("c-1", None)


def test_tampered_foreign_and_expired_links_are_refused() -> None:
    links = Links("secret", "https://care.example", timedelta(days=30))
    token = links.token("c-1")
    with pytest.raises(LinkInvalid):
        links.complaint_id(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    with pytest.raises(LinkInvalid):
        Links("another installation", "https://x", timedelta(days=30)).complaint_id(token)
    forged = URLSafeTimedSerializer("secret", salt=SALT).dumps({"c": 7})  # signed, but not a case id
    with pytest.raises(LinkInvalid):
        links.complaint_id(forged)
    with pytest.raises(LinkExpired):
        Links("secret", "https://x", timedelta(seconds=-1)).complaint_id(token)
