"""Production sign-in: the OIDC authorization-code flow with PKCE (S256), through Authlib.

The provider is `COMPLAINTS_AUTH_ISSUER` (endpoints by OIDC discovery); the console is the client
`COMPLAINTS_CONSOLE_OIDC_CLIENT_ID`. The state, nonce and PKCE verifier live in a short-lived
signed cookie (SameSite=Lax: the provider's redirect back is a cross-site navigation, which a
Strict cookie would not survive). The access token the provider issues is what the console calls
the services with: they verify it as they verify every staff token (complaints/auth/tokens.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import AsyncOAuth2Client
from itsdangerous import BadSignature, URLSafeTimedSerializer

from complaints.settings import Settings

FLOW_COOKIE = "console_oidc"
FLOW_SECONDS = 600


class SignInFailed(Exception):
    """The provider's answer cannot sign anyone in (the page says why)."""


@dataclass(frozen=True)
class Provider:
    authorization_endpoint: str
    token_endpoint: str


class Oidc:
    def __init__(self, settings: Settings, secret: str, redirect_uri: str) -> None:
        if not settings.console_oidc_client_id:
            raise ValueError("COMPLAINTS_CONSOLE_OIDC_CLIENT_ID is not set")
        self.settings, self.redirect_uri = settings, redirect_uri
        self.flows = URLSafeTimedSerializer(secret, salt="console-oidc-flow")
        self._provider: Provider | None = None

    def _client(self) -> AsyncOAuth2Client:
        s = self.settings
        secret = s.console_oidc_client_secret.get_secret_value() if s.console_oidc_client_secret else None
        return AsyncOAuth2Client(client_id=s.console_oidc_client_id, client_secret=secret, scope=s.console_oidc_scope,
                                 redirect_uri=self.redirect_uri, code_challenge_method="S256", timeout=10)

    async def provider(self) -> Provider:
        if self._provider is None:
            url = self.settings.auth_issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                async with httpx.AsyncClient(timeout=10) as http:
                    reply = await http.get(url)
                    reply.raise_for_status()
                    doc = reply.json()
                self._provider = Provider(doc["authorization_endpoint"], doc["token_endpoint"])
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                raise SignInFailed(f"OIDC discovery at {url} failed: {exc}") from None
        return self._provider

    async def start(self) -> tuple[str, str]:
        """(the provider's authorization URL to redirect to, the signed flow cookie's value)."""
        provider = await self.provider()
        verifier, nonce = generate_token(48), generate_token(20)
        async with self._client() as client:
            url, state = client.create_authorization_url(provider.authorization_endpoint, code_verifier=verifier,
                                                         nonce=nonce)
        return url, self.flows.dumps({"state": state, "verifier": verifier, "nonce": nonce})

    async def finish(self, flow_cookie: str | None, state: str | None, code: str | None) -> str:
        """The access token for the code the provider sent back (its state must be this browser's flow)."""
        if not flow_cookie or not state or not code:
            raise SignInFailed("the sign-in was not started here, or it took too long: start again")
        try:
            flow: dict[str, Any] = self.flows.loads(flow_cookie, max_age=FLOW_SECONDS)
        except BadSignature:
            raise SignInFailed("the sign-in was not started here, or it took too long: start again") from None
        if flow.get("state") != state:
            raise SignInFailed("the answer does not belong to this sign-in (state mismatch): start again")
        provider = await self.provider()
        try:
            async with self._client() as client:
                token = await client.fetch_token(provider.token_endpoint, code=code,
                                                 code_verifier=flow["verifier"])
        except Exception as exc:  # authlib raises OAuthError and httpx errors alike
            raise SignInFailed(f"the provider refused the code: {exc}") from None
        access = token.get("access_token")
        if not isinstance(access, str):
            raise SignInFailed("the provider answered without an access token")
        return access
