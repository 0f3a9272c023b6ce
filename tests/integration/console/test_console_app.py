"""The console's own shell, in process: sign-in, the session cookie, CSRF, secrets (no other service needed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from complaints.auth.tokens import create_dev_key
from complaints.pii import UnsafeSecrets
from complaints.settings import Settings
from services.console.app import create_app

SECRET = "a-console-session-secret-of-a-test"


def settings_for(tmp_path: Path, **extra: object) -> Settings:
    values: dict[str, object] = {"auth_dev_key_file": create_dev_key(tmp_path / "key.pem"),
                                 "console_session_secret": SECRET, "console_demo_signin": True, **extra}
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(tmp_path)), follow_redirects=False) as c:
        yield c


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, "every form carries a CSRF token"
    return found.group(1)


def test_pages_need_a_signed_in_member(client: TestClient) -> None:
    for path in ("/queue", "/cases/c-1", "/dashboard"):
        reply = client.get(path)
        assert reply.status_code == 303 and reply.headers["location"] == "/signin"


def test_demo_sign_in_sets_a_strict_httponly_session_cookie(client: TestClient) -> None:
    page = client.get("/signin")
    assert page.status_code == 200 and "Front-line agent" in page.text and "signin-pia" in page.text
    reply = client.post("/signin/demo", data={"csrf": csrf(page.text), "staff_id": "ana"})
    assert reply.status_code == 303 and reply.headers["location"] == "/queue"
    cookie = reply.headers["set-cookie"]
    assert cookie.startswith("console_session=") and "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    assert "default-src 'self'" in reply.headers["content-security-policy"]


def test_a_post_without_the_sessions_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/signin")
    reply = client.post("/signin/demo", data={"csrf": "forged", "staff_id": "eve"})
    assert reply.status_code == 403 and "CSRF" in reply.text
    assert client.get("/queue").status_code == 303  # still nobody signed in


def test_an_unknown_demo_member_is_refused_naming_the_field(client: TestClient) -> None:
    page = client.get("/signin")
    reply = client.post("/signin/demo", data={"csrf": csrf(page.text), "staff_id": "mallory"})
    assert reply.status_code == 422 and "staff_id" in reply.text


def test_demo_sign_in_is_off_unless_turned_on(tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path, console_demo_signin=False))
    with TestClient(app, follow_redirects=False) as c:
        page = c.get("/signin")
        assert "signin-ana" not in page.text and "No sign-in is configured" in page.text
        assert c.post("/signin/demo", data={"csrf": "x", "staff_id": "ana"}).status_code in (403, 404)
        assert c.get("/queue").status_code == 303


def test_outside_dev_the_session_secret_must_be_set_and_not_public(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSecrets, match="COMPLAINTS_CONSOLE_SESSION_SECRET"):
        create_app(Settings(auth_dev_key_file=tmp_path / "none.pem"))
    with pytest.raises(UnsafeSecrets, match="public default"):
        create_app(Settings(console_session_secret="dev-only-console-session-secret"))  # type: ignore[arg-type]
    create_app(Settings(profile="dev"))  # the dev profile falls back to a public dev value


def test_vendored_htmx_is_served_by_the_console(client: TestClient) -> None:
    reply = client.get("/static/htmx-2.0.4.min.js")
    assert reply.status_code == 200 and reply.text.startswith("var htmx=")
