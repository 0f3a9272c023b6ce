"""Production mode: tokens from an identity provider, its keys found by OIDC discovery (a real HTTP server)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from complaints.auth.http import StaffDep, install_auth
from complaints.auth.tokens import ProviderUnavailable, TokenRejected, Verifier
from complaints.broker.embedded import free_port
from complaints.settings import Settings

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Provider(BaseHTTPRequestHandler):
    """/.well-known/openid-configuration and the JWKS with one RSA key, as an identity provider serves them."""

    issuer = ""
    hits: list[str] = []  # noqa: RUF012

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.path == "/.well-known/openid-configuration":
            body: dict[str, Any] = {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/keys"}
        elif self.path == "/keys":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
            body = {"keys": [{**jwk, "kid": "idp-1", "use": "sig", "alg": "RS256"}]}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def provider() -> Iterator[str]:
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Provider)
    Provider.issuer, Provider.hits = f"http://127.0.0.1:{port}", []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Provider.issuer
    finally:
        server.shutdown()
        server.server_close()


def oidc(issuer: str) -> Settings:
    return Settings(auth_mode="oidc", auth_issuer=issuer, auth_audience="api://complaints")


def idp_token(issuer: str, kid: str = "idp-1", **claims: Any) -> str:
    now = datetime.now(UTC)
    payload = {"sub": "ana", "level": "supervisor", "roles": ["agent"], "iss": issuer, "aud": "api://complaints",
               "iat": now, "exp": now + timedelta(minutes=10), **claims}
    return jwt.encode(payload, KEY, algorithm="RS256", headers={"kid": kid})


def test_the_providers_tokens_verify_with_keys_found_by_discovery(provider: str) -> None:
    verifier = Verifier(oidc(provider))
    staff = verifier.verify(idp_token(provider))
    assert (staff.id, staff.level, staff.roles) == ("ana", "supervisor", frozenset({"agent"}))
    verifier.verify(idp_token(provider, sub="bo"))
    assert Provider.hits == ["/.well-known/openid-configuration", "/keys"]  # discovered once, keys cached


def test_a_configured_jwks_url_skips_discovery(provider: str) -> None:
    settings = oidc(provider).model_copy(update={"auth_jwks_url": f"{provider}/keys"})
    assert Verifier(settings).verify(idp_token(provider)).id == "ana"
    assert Provider.hits == ["/keys"]


def test_unknown_keys_other_audiences_and_dev_tokens_are_refused(provider: str) -> None:
    verifier = Verifier(oidc(provider))
    for bad in (idp_token(provider, kid="not-ours"), idp_token(provider, aud="another-api"),
                idp_token(provider, iss="https://evil.example")):
        with pytest.raises(TokenRejected):
            verifier.verify(bad)


def test_an_unreachable_provider_is_a_503_never_a_pass() -> None:
    gone = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ProviderUnavailable):
        Verifier(oidc(gone)).verify(idp_token(gone))
    app = FastAPI()

    @app.get("/kpis")  # a route the matrix knows (projections: cases:read)
    def kpis(staff: StaffDep) -> dict[str, str]:
        return {"id": staff.id}

    install_auth(app, "projections", oidc(gone))
    with TestClient(app) as client:
        reply = client.get("/kpis", headers={"authorization": f"Bearer {idp_token(gone)}"})
    assert reply.status_code == 503 and reply.headers["retry-after"] == "5"
