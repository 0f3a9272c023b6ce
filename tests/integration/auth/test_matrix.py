"""Every route of every service's own route table × every role, against the one authorization matrix.

Real apps (the services as processes), real tokens signed with the stack's dev key. A route
without a rule in `complaints.auth.matrix` fails here, and so does a rule without a route.
"""

from __future__ import annotations

import importlib
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from complaints.auth.matrix import ANY_SERVICE, PUBLIC, RULES, granted, rule_for
from complaints.auth.staff import ROLES, Staff
from complaints.auth.tokens import issue_dev_token
from complaints.devstack import SERVICES as SERVICE_MODULES
from complaints.settings import Settings
from tests.integration.auth.conftest import SERVICES
from tests.stack import Stack

MODULES = {s.name: s.module for s in SERVICE_MODULES}


def route_table(service: str, settings: Settings) -> list[tuple[str, str]]:
    """(method, path template) of every route the service's app serves (HEAD answers as GET)."""
    app: FastAPI = importlib.import_module(MODULES[service]).create_app(settings)
    return sorted({(m, ctx.path_format or "") for ctx in iter_route_contexts(app.routes) for m in ctx.methods or ()
                   if m != "HEAD"})


def callers(settings: Settings) -> dict[str, tuple[frozenset[str], str | None]]:
    """Who knocks: no token, a forged and an expired token, a token without roles, and one per role."""
    def signed(roles: tuple[str, ...], ttl: timedelta = timedelta(hours=1), now: datetime | None = None) -> str:
        staff = Staff.model_validate({"id": f"matrix-{'-'.join(roles) or 'none'}", "level": "executive",
                                      "roles": roles})
        return issue_dev_token(settings, staff, ttl, now)

    expired = signed(("admin", "lead"), timedelta(minutes=1), datetime.now(UTC) - timedelta(hours=2))
    out: dict[str, tuple[frozenset[str], str | None]] = {
        "anonymous": (frozenset(), None), "forged": (frozenset(), "eyJhbGciOiJub25lIn0.e30."),
        "expired": (frozenset(), expired), "no-role": (frozenset(), signed(()))}
    out.update({role: (frozenset({role}), signed((role,))) for role in ROLES})
    return out


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_answers_as_the_matrix_says_for_every_role(stack: Stack, service: str) -> None:
    settings = stack.settings
    table = route_table(service, settings)
    assert table, service
    unruled = [f"{m} {p}" for m, p in table if rule_for(service, m, p) is None]
    assert not unruled, f"{service}: routes without an authorization rule (complaints/auth/matrix.py): {unruled}"
    who = callers(settings)
    wrong = []
    for method, path in table:
        need = rule_for(service, method, path)
        url = stack[service].url + re.sub(r"\{[^}]+\}", "matrix-case", path)
        for name, (roles, token) in who.items():
            headers = {"authorization": f"Bearer {token}"} if token else {}
            reply = httpx.request(method, url, headers=headers, json={} if method == "POST" else None, timeout=15)
            if need == PUBLIC:
                ok = reply.status_code not in (401, 403)
            elif token is None or name in ("forged", "expired"):
                challenge = reply.headers.get("www-authenticate", "")
                ok = reply.status_code == 401 and challenge.startswith('Bearer realm="complaints"')
                ok = ok and (token is None or 'error="invalid_token"' in challenge)
            elif need in granted(roles):  # type: ignore[arg-type]
                ok = reply.status_code not in (401, 403)
            else:
                ok = reply.status_code == 403
            if not ok:
                wrong.append(f"{name}: {method} {path} ({need}) -> {reply.status_code} {reply.text[:120]}")
    assert not wrong, "\n".join(wrong)


def test_every_rule_names_a_route_that_exists(stack: Stack) -> None:
    tables = {s: set(route_table(s, stack.settings)) for s in SERVICES}
    stale = [key for key in RULES if not (any((key[1], key[2]) in t for t in tables.values())
                                          if key[0] == ANY_SERVICE else (key[1], key[2]) in tables.get(key[0], ()))]
    assert not stale, f"rules for routes that no longer exist: {stale}"


def test_a_refusal_says_what_is_needed_and_a_401_how_to_authenticate(stack: Stack) -> None:
    url = f"{stack['projections'].url}/kpis"
    anonymous = httpx.get(url, timeout=10)
    assert anonymous.status_code == 401 and "Bearer" in anonymous.json()["detail"]["message"]
    token = callers(stack.settings)["integration"][1]
    offer = httpx.post(f"{stack['recovery'].url}/complaints/x/offers", json={},
                       headers={"authorization": f"Bearer {token}"}, timeout=10)
    assert offer.status_code == 403
    assert "cases:act" in offer.json()["detail"]["message"] and "agent" in offer.json()["detail"]["message"]
