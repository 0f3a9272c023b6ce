"""Production sign-in: the console's OIDC authorization-code flow with PKCE, against a provider on a real port.

The provider here is a minimal OIDC server (discovery, token endpoint that checks the PKCE verifier
against the challenge, JWKS); the console runs in process. Nothing is mocked inside the console:
discovery, the code exchange and the token's verification go over HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException
from fastapi.testclient import TestClient

from complaints.broker.embedded import free_port
from complaints.settings import Settings
from services.console.app import create_app

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.challenges: dict[str, str] = {}  # code -> the PKCE challenge the console sent
        self.app = FastAPI()
        self.app.get("/.well-known/openid-configuration")(self.discovery)
        self.app.get("/jwks")(self.jwks)
        self.app.post("/token")(self.token)

    async def discovery(self) -> dict[str, str]:
        return {"issuer": self.base, "authorization_endpoint": f"{self.base}/authorize",
                "token_endpoint": f"{self.base}/token", "jwks_uri": f"{self.base}/jwks"}

    async def jwks(self) -> dict[str, Any]:
        jwk: dict[str, Any] = jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]}

    async def token(self, code: str = Form(), code_verifier: str = Form(), grant_type: str = Form()) -> dict[str, Any]:
        digest = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
        if grant_type != "authorization_code" or self.challenges.get(code) != digest:
            raise HTTPException(400, {"error": "invalid_grant"})
        now = datetime.now(UTC)
        claims = {"sub": "sam", "level": "supervisor", "roles": ["agent"], "iss": self.base, "aud": "complaints",
                  "iat": now, "exp": now + timedelta(minutes=5)}
        return {"access_token": jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "k1"}),
                "token_type": "Bearer", "expires_in": 300}


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    port = free_port()
    provider = Provider(port)
    server = uvicorn.Server(uvicorn.Config(provider.app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield provider
    server.should_exit = True
    thread.join(timeout=10)


def console(provider: Provider) -> TestClient:
    settings = Settings(auth_mode="oidc", auth_issuer=provider.base, console_oidc_client_id="console",
                        console_session_secret="a-console-session-secret-of-a-test",  # type: ignore[arg-type]
                        console_public_url="http://console.test")
    return TestClient(create_app(settings), follow_redirects=False)


def test_sign_in_with_the_code_flow_and_pkce(provider: Provider) -> None:
    with console(provider) as client:
        assert "single sign-on" in client.get("/signin").text and "signin-ana" not in client.get("/signin").text
        start = client.get("/auth/login")
        assert start.status_code == 303
        url = urlsplit(start.headers["location"])
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        assert f"{url.scheme}://{url.netloc}{url.path}" == f"{provider.base}/authorize"
        assert query["response_type"] == "code" and query["client_id"] == "console"
        assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) >= 43
        assert query["redirect_uri"] == "http://console.test/auth/callback" and query["state"]
        assert "samesite=lax" in start.headers["set-cookie"].lower()
        provider.challenges["c0de"] = query["code_challenge"]

        forged = client.get("/auth/callback", params={"state": "not-mine", "code": "c0de"})
        assert forged.status_code == 400 and "state mismatch" in forged.text

        done = client.get("/auth/callback", params={"state": query["state"], "code": "c0de"})
        assert done.status_code == 200 and 'url=/queue' in done.text, done.text  # a same-site step on
        assert "console_session=" in done.headers["set-cookie"]


def test_a_code_without_this_browsers_flow_signs_nobody_in(provider: Provider) -> None:
    with console(provider) as client:
        reply = client.get("/auth/callback", params={"state": "s", "code": "c0de"})
        assert reply.status_code == 400 and "start again" in reply.text
        assert client.get("/queue").status_code == 303
