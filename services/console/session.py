"""The signed-in member of staff: a signed session cookie, and CSRF tokens for every POST form.

The session is Starlette's `SessionMiddleware` (itsdangerous-signed, HttpOnly, SameSite=Strict,
Secure when the console is served over https); it holds the bearer token the console calls the
other services with and a per-session CSRF secret. Nothing personal is in it: ids, level, roles.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request

from complaints.auth.staff import Staff
from complaints.auth.tokens import ProviderUnavailable, TokenRejected, Verifier

SESSION_COOKIE = "console_session"


class SignInNeeded(Exception):
    """No (valid) session: the page redirects to the sign-in page."""


@dataclass(frozen=True)
class Member:
    staff: Staff
    token: str
    csrf: str


def start(request: Request, token: str) -> None:
    request.session.clear()
    request.session.update({"token": token, "csrf": secrets.token_urlsafe(24)})


def csrf_of(request: Request) -> str:
    """This session's CSRF token (a session without one, e.g. before sign-in, gets one)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def member(request: Request) -> Member:
    token = request.session.get("token")
    if not isinstance(token, str):
        raise SignInNeeded
    verifier: Verifier = request.app.state.verifier
    try:
        staff = verifier.verify(token)
    except (TokenRejected, ProviderUnavailable):
        request.session.pop("token", None)
        raise SignInNeeded from None
    return Member(staff, token, csrf_of(request))


def check_csrf(request: Request, csrf: Annotated[str, Form(max_length=64)] = "") -> None:
    """Every POST form carries the session's CSRF token; anything else is refused (403)."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), csrf.encode()):
        raise HTTPException(403, "This form is out of date or not from this console (CSRF check): reload the page.")


def flash(request: Request, message: str, tone: str = "ok") -> None:
    """A one-time message for the next page (kept in the session, never in a URL)."""
    request.session["flash"] = {"message": message[:600], "tone": tone}


def take_flash(request: Request) -> dict[str, Any] | None:
    value = request.session.pop("flash", None)
    return value if isinstance(value, dict) else None


MemberDep = Annotated[Member, Depends(member)]
CsrfDep = Depends(check_csrf)
