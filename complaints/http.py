"""HTTP conventions shared by every service: clear 422s, bounded request bodies and a health route."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from complaints.guards import BodyLimit
from complaints.settings import Settings

HealthCheck = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    """422 that names each field and the reason, in words a person can act on."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field(e.get("loc", ())), "reason": str(e.get("msg", "invalid")).removeprefix("Value error, ")}
        for e in exc.errors()
    ]
    message = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return JSONResponse(
        status_code=422,
        content={"message": f"Invalid request — {message}", "errors": errors,
                 "detail": jsonable_encoder(exc.errors())},
    )


#: What FastAPI says (as a 400) for a body it cannot decode (not UTF-8): for us, an invalid body like any other.
_UNREADABLE_BODY = "There was an error parsing the body"


async def http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's own answer, except an unreadable body: 422 naming it, as every invalid body is."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _UNREADABLE_BODY:
        reason = "must be JSON in UTF-8"
        return JSONResponse(status_code=422, content={
            "message": f"Invalid request — body: {reason}", "errors": [{"field": "body", "reason": reason}],
            "detail": [{"loc": ["body"], "msg": reason, "type": "json_invalid"}]})
    return await http_exception_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)


#: For `responses=` of routes that take a body (the limit applies to all; these document it).
TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {"description": "Request body above the configured limit"}}


def install_guards(app: FastAPI, settings: Settings) -> None:
    """What every service's app gets: clear 422s, and 413 for a body above `COMPLAINTS_MAX_BODY_BYTES`."""
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)


health_router = APIRouter(tags=["health"])


@health_router.get("/health", responses={503: {"description": "Not ready: the broker does not answer"}})
async def health(request: Request) -> JSONResponse:
    """200 when this service reaches the broker (and, for a worker, has joined its group), else 503."""
    check: HealthCheck = request.app.state.health_check
    ok, details = await check()
    return JSONResponse({"status": "ok" if ok else "unavailable", **details}, status_code=200 if ok else 503)


@contextmanager
def startup_frozen() -> Iterator[None]:
    """Keep start-up objects (modules, models, statements: ~120k) out of later full collections.

    Without it every full collection under load rescanned them all, every second or two:
    a 60-90 ms stall of the whole process each time (measured on intake, bench/RESULTS.md).
    """
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def frozen_after_startup(app: FastAPI) -> FastAPI:
    """The edge every service's wiring installs: its lifespan runs the app under `startup_frozen`.

    Wraps whatever lifespan the app has (as `instrument_app` does): the freeze starts once the
    app's own start-up is done and ends before its shutdown.
    """
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            with startup_frozen():
                yield state

    app.router.lifespan_context = lifespan
    return app
