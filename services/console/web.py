"""What every page shares: the templates, the common context, the app's collaborators."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from complaints.auth.matrix import granted
from complaints.domain.wording import LEVEL_LABELS, show, words
from complaints.policy_shelf import PolicyShelf
from services.console import present
from services.console.backend import Backend
from services.console.session import Member, csrf_of, take_flash

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(words=words,
                             show_money=lambda m: show(None) if m is None else f"{m['currency']} {m['amount']}",
                             level_label=LEVEL_LABELS, countdown=present.countdown, parse_time=present.parse_time,
                             percent=present.percent, nonce=lambda: secrets.token_urlsafe(12))
templates.env.filters["dict_with"] = lambda d, **extra: {**d, **extra}
templates.env.filters["when"] = lambda v: "" if not v else present.parse_time(v).strftime("%Y-%m-%d %H:%M:%S UTC")  # type: ignore[union-attr]


def render(request: Request, name: str, member: Member | None = None, code: int = 200, **ctx: Any) -> HTMLResponse:
    can = granted(member.staff.roles) if member else frozenset()
    return templates.TemplateResponse(request, name, {
        "member": member, "can": can, "csrf": member.csrf if member else csrf_of(request),
        "flash": take_flash(request), "now": datetime.now(UTC), **ctx}, status_code=code)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def get_backend(request: Request) -> Backend:
    backend: Backend = request.app.state.backend
    return backend


def get_policies(request: Request) -> PolicyShelf:
    shelf: PolicyShelf = request.app.state.policies
    return shelf


BackendDep = Annotated[Backend, Depends(get_backend)]
PoliciesDep = Annotated[PolicyShelf, Depends(get_policies)]
