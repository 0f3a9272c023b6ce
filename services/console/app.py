"""Console wiring: settings, session middleware, the services' client, the policy shelf, the routes.

Run with `complaints run console` (port `COMPLAINTS_CONSOLE_PORT`, 8006).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from complaints.auth.tokens import Verifier
from complaints.http import install_guards
from complaints.observability.http import instrument_app
from complaints.observability.logs import service_log_config
from complaints.pii.secrets import require_secret
from complaints.policy_shelf import PolicyShelf
from complaints.settings import Settings, get_settings
from services.console import actions, pages, signin
from services.console.backend import Backend, Urls
from services.console.oidc import Oidc
from services.console.session import SESSION_COOKIE, SignInNeeded
from services.console.web import see_other

STATIC = Path(__file__).parent / "static"
DEV_SESSION_SECRET = "dev-only-console-session-secret"
SESSION_HOURS = 8


def session_secret(settings: Settings) -> str:
    value = settings.console_session_secret.get_secret_value() if settings.console_session_secret else ""
    return require_secret(settings, "COMPLAINTS_CONSOLE_SESSION_SECRET", value) or DEV_SESSION_SECRET


def public_url(settings: Settings) -> str:
    return (settings.console_public_url or f"http://{settings.host}:{settings.console_port}").rstrip("/")


async def sign_in_first(request: Request, _: Exception) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": "/signin"})
    return see_other("/signin")


async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
    reply: Response = await call_next(request)
    reply.headers.setdefault("Content-Security-Policy", "default-src 'self'; style-src 'self'; "
                             "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
    reply.headers.setdefault("X-Content-Type-Options", "nosniff")
    reply.headers.setdefault("Referrer-Policy", "no-referrer")
    reply.headers.setdefault("Cache-Control", "no-store")
    return reply


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    secret = session_secret(settings)  # refuses a missing or public secret outside the dev profile

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0)) as client:
            app.state.backend = Backend(Urls.of(settings), client)
            yield

    app = FastAPI(title="Complaints console", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.settings = settings
    app.state.verifier = Verifier(settings)
    app.state.policies = PolicyShelf(settings.policy_file)
    url = public_url(settings)
    app.state.secure_cookies = url.startswith("https://")
    app.state.oidc = Oidc(settings, secret, f"{url}/auth/callback") if settings.console_oidc_client_id else None
    install_guards(app, settings)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_HOURS * 3600, same_site="strict", https_only=app.state.secure_cookies)
    app.middleware("http")(security_headers)
    app.add_exception_handler(SignInNeeded, sign_in_first)
    app.include_router(signin.router)
    app.include_router(pages.router)
    app.include_router(actions.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return instrument_app(app, "console", settings)


def main() -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.console_port, log_level="warning",
                log_config=service_log_config("console", settings))
