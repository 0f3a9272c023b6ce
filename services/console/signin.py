"""Signing in and out: the demo staff page (dev), the OIDC flow (production)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from complaints.auth.tokens import issue_dev_token
from complaints.settings import Settings
from services.console.demo import BY_ID, DEMO_STAFF
from services.console.oidc import FLOW_COOKIE, FLOW_SECONDS, Oidc, SignInFailed
from services.console.session import CsrfDep, start
from services.console.web import render, see_other

router = APIRouter(include_in_schema=False)
DEMO_TOKEN_TTL = timedelta(hours=8)


def get_settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_of)]


def demo_enabled(settings: Settings) -> bool:
    return settings.console_demo_signin and settings.auth_mode == "dev"


@router.get("/signin", response_class=HTMLResponse)
async def signin_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    oidc: Oidc | None = request.app.state.oidc
    return render(request, "signin.html", demo=DEMO_STAFF if demo_enabled(settings) else (), oidc=oidc is not None)


@router.post("/signin/demo", dependencies=[CsrfDep])
async def signin_demo(request: Request, settings: SettingsDep,
                      staff_id: Annotated[str, Form(max_length=20)]) -> Response:
    if not demo_enabled(settings):
        raise HTTPException(404, "The demo sign-in is off (COMPLAINTS_CONSOLE_DEMO_SIGNIN, dev auth mode only).")
    staff = BY_ID.get(staff_id)
    if staff is None:
        raise HTTPException(422, "staff_id: not one of the demo staff")
    start(request, issue_dev_token(settings, staff, DEMO_TOKEN_TTL))
    return see_other("/queue")


@router.get("/auth/login")
async def oidc_login(request: Request) -> Response:
    oidc: Oidc | None = request.app.state.oidc
    if oidc is None:
        raise HTTPException(404, "OIDC sign-in is not configured (COMPLAINTS_CONSOLE_OIDC_CLIENT_ID).")
    try:
        url, flow = await oidc.start()
    except SignInFailed as exc:
        return render(request, "signin.html", code=503, demo=(), oidc=True, problem=str(exc))
    reply = RedirectResponse(url, status_code=303)
    reply.set_cookie(FLOW_COOKIE, flow, max_age=FLOW_SECONDS, path="/auth", httponly=True, samesite="lax",
                     secure=request.app.state.secure_cookies)
    return reply


@router.get("/auth/callback")
async def oidc_callback(request: Request, state: str | None = None, code: str | None = None) -> Response:
    oidc: Oidc | None = request.app.state.oidc
    if oidc is None:
        raise HTTPException(404, "OIDC sign-in is not configured.")
    try:
        token = await oidc.finish(request.cookies.get(FLOW_COOKIE), state, code)
        request.app.state.verifier.verify(token)
    except SignInFailed as exc:
        return render(request, "signin.html", code=400, demo=(), oidc=True, problem=str(exc))
    except Exception as exc:  # TokenRejected / ProviderUnavailable: the services would refuse it too
        return render(request, "signin.html", code=403, demo=(), oidc=True,
                      problem=f"The provider's token is not a staff token these services accept: {exc}")
    start(request, token)
    # Not a redirect: this response ends a cross-site navigation (from the provider), and a browser would
    # not send the SameSite=Strict session cookie on a redirect that continues it. Moving on from our own
    # page is a same-site navigation.
    reply = render(request, "signed_in.html")
    reply.delete_cookie(FLOW_COOKIE, path="/auth")
    return reply


@router.post("/signout", dependencies=[CsrfDep])
async def signout(request: Request) -> Response:
    request.session.clear()
    return see_other("/signin")
