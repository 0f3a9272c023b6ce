"""The customer's page as a browser gets it: accessible markup, plain words, clear pages for bad links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from complaints.domain import load_policy
from complaints.settings import ROOT
from services.customer.links import Links
from services.customer.routes import router
from services.notifier.case import fold
from services.notifier.desk import Desk
from services.notifier.store import NotifierStore
from tests.unit.domain.helpers import Lifecycle, complaint


class Controls(HTMLParser):
    """Form controls and the labels that name them."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.in_label = 0
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "label":
            self.in_label += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        if tag in ("input", "textarea") and a.get("type") != "hidden":
            self.inputs.append({**a, "wrapped": "yes" if self.in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1


@pytest.fixture
def page(tmp_path: Path) -> tuple[TestClient, Links, str]:
    policy = load_policy(ROOT / "deploy" / "policy.yaml")
    case = Lifecycle(policy)
    case.receive(complaint("c-page", received_at=datetime.now(UTC) - timedelta(days=1)))
    folded = None
    for emit in case.log:
        folded = fold(folded, emit.event, emit.event_id, datetime.now(UTC) - timedelta(days=1))
    assert folded is not None
    store = NotifierStore(f"sqlite:///{tmp_path}/n.db")
    store.save({"c-page": (folded, 0)}, [], datetime.now(UTC))
    links = Links("secret", "http://testserver", timedelta(days=1))
    app = FastAPI()
    app.include_router(router)
    app.state.desk = Desk(store, links, None, None, policy)  # type: ignore[arg-type]  # reading needs neither
    return TestClient(app), links, links.token("c-page")


def test_every_control_has_a_label_and_the_page_says_its_language(page: tuple[TestClient, Links, str]) -> None:
    client, _, token = page
    reply = client.get(f"/c/{token}")
    assert reply.status_code == 200
    html = reply.text
    controls = Controls()
    controls.feed(html)
    assert controls.lang == "en"
    assert controls.inputs, "the offer and the follow-up question are forms"
    for control in controls.inputs:
        assert control["wrapped"] or control.get("id") in controls.label_for, control
    assert 'name="viewport"' in html and "<legend>" in html
    for internal in ("authority", "limit", "front_line", "policy", "cust-42", "reason"):
        assert internal not in html.lower()


def test_an_expired_or_altered_link_gets_a_clear_page(page: tuple[TestClient, Links, str]) -> None:
    client, links, token = page
    old = Links("secret", "http://testserver", timedelta(seconds=-1))
    client.app.state.desk.links = old  # type: ignore[attr-defined]
    expired = client.get(f"/c/{token}")
    assert expired.status_code == 410 and "This link has expired" in expired.text
    client.app.state.desk.links = links  # type: ignore[attr-defined]
    altered = client.get(f"/c/{'f' if token[0] != 'f' else 'g'}{token[1:]}")  # the signed part changed
    assert altered.status_code == 404 and "This link does not work" in altered.text
    assert "c-page" not in altered.text and "Traceback" not in altered.text


def test_an_incomplete_answer_gets_a_page_that_says_what_is_missing(page: tuple[TestClient, Links, str]) -> None:
    client, _, token = page
    reply = client.post(f"/c/{token}/answer", data={"satisfied": "true"})
    assert reply.status_code == 422 and "text/html" in reply.headers["content-type"]
    assert "choose a score from 1 to 5" in reply.text


def test_a_link_sent_in_german_opens_the_page_in_german(page: tuple[TestClient, Links, str]) -> None:
    client, links, _ = page
    html = client.get(f"/c/{links.token('c-page', 'de')}").text
    controls = Controls()
    controls.feed(html)
    assert controls.lang == "de"
    assert "Angebot annehmen" in html and "Haben wir es wiedergutgemacht?" in html and "falsche Bestellung" in html
    assert "Accept this offer" not in html
