"""FastAPI side of staff identity: the `StaffDep` dependency, 401/403 answers, and `install_auth`.

A protected route declares `staff: StaffDep`; the dependency verifies the bearer token and checks
the route's rule in `complaints.auth.matrix` (by the route's own path template), so the matrix
is the one place that says who may call what. Public routes (intake's `POST /complaints`, every
`/health`) simply do not declare it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Request, Security
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from complaints.auth.authority import NotPermitted
from complaints.auth.matrix import PUBLIC, granted, roles_with, rule_for
from complaints.auth.staff import Staff
from complaints.auth.tokens import ProviderUnavailable, TokenRejected, Verifier
from complaints.settings import Settings

log = logging.getLogger(__name__)
bearer = HTTPBearer(auto_error=False, scheme_name="staff", description=(
    "A staff token (JWT). Dev stack: `complaints token --sub <id> --level <level> [--role <r>]...`; "
    "production: your identity provider's."))
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid bearer token (see `WWW-Authenticate`)."},
    403: {"description": "The token's roles, level or departments do not allow this; the answer says why."},
    503: {"description": "Tokens cannot be verified right now (identity provider unreachable); retry later."},
}


@dataclass(frozen=True)
class Auth:
    service: str
    verifier: Verifier


def _unauthorized(reason: str, error: str | None = "invalid_token") -> HTTPException:
    described = re.sub(r'["\\\r\n]', "'", reason)[:300]
    challenge = 'Bearer realm="complaints"' + (f', error="{error}", error_description="{described}"' if error else "")
    return HTTPException(401, {"message": f"Authentication required: {reason}."},
                         headers={"WWW-Authenticate": challenge})


def authorized(request: Request,
               credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]) -> Staff:
    """The verified caller, allowed by this route's rule; else 401 (who?) or 403 (not allowed)."""
    auth: Auth = request.app.state.auth
    route = request.scope.get("route")
    path = route.path_format if isinstance(route, APIRoute) else request.url.path
    need = rule_for(auth.service, request.method, path)
    if credentials is None:
        raise _unauthorized("send `Authorization: Bearer <token>`", error=None)
    try:
        staff = auth.verifier.verify(credentials.credentials)
    except TokenRejected as exc:
        raise _unauthorized(str(exc)) from None
    except ProviderUnavailable as exc:
        log.warning("cannot verify tokens: %s", exc)
        raise HTTPException(503, {"message": "Cannot verify tokens right now (identity provider unreachable)."},
                            headers={"Retry-After": "5"}) from None
    if need is None:
        raise HTTPException(403, {"message": f"{request.method} {path} has no authorization rule: refused."})
    if need != PUBLIC and need not in granted(staff.roles):
        allowed = ", ".join(roles_with(need))
        mine = ", ".join(sorted(staff.roles)) or "none"
        raise HTTPException(403, {"message": f"This needs {need}, granted to the roles {allowed}; "
                                             f"this token's roles: {mine}.", "needs": need})
    return staff


StaffDep = Annotated[Staff, Security(authorized)]


async def not_permitted(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotPermitted)
    return JSONResponse(status_code=403, content={"detail": {"message": str(exc), **exc.details}})


def _protected(route: APIRoute) -> bool:
    pending = list(route.dependant.dependencies)
    while pending:
        dep = pending.pop()
        if dep.call is authorized:
            return True
        pending.extend(dep.dependencies)
    return False


def protected_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) of every route that declares `StaffDep`."""
    return sorted({(method, ctx.path_format or "") for ctx in iter_route_contexts(app.routes)
                   if isinstance(ctx.original_route, APIRoute) and _protected(ctx.original_route)
                   for method in ctx.methods or ()})


def install_auth(app: FastAPI, service: str, settings: Settings, verifier: Verifier | None = None) -> FastAPI:
    """Wire staff identity into a service's app: verifier, 403 handler, 401/403 in the OpenAPI document."""
    app.state.auth = Auth(service, verifier or Verifier(settings))
    app.add_exception_handler(NotPermitted, not_permitted)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for method, path in protected_routes(app):
                responses = schema["paths"][path][method.lower()]["responses"]
                for status, doc in AUTH_RESPONSES.items():
                    responses.setdefault(str(status), dict(doc))
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
    if settings.auth_mode == "dev" and not settings.auth_dev_key_file.exists():
        log.warning("no dev signing key at %s: staff endpoints answer 401 (start with `complaints dev`)",
                    settings.auth_dev_key_file)
    return app
