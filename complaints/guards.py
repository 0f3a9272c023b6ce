"""What every service does before a request reaches its routes: bounded bodies and strict types.

`BodyLimit` wraps a whole ASGI app (outside FastAPI, so nothing reads a byte of an oversized
body): a declared `Content-Length` above the limit is answered 413 at once; a body without
one (chunked) is read up to the limit and answered 413 as soon as it passes it.
`IsoDateTime` is the date-time of every request model and query: an RFC 3339 string only
(pydantic would otherwise take `0` or `"0.5"` as a Unix timestamp). `JsonInt` is an integer
of a strict model as JSON Schema has it (4.0 is one, "4" is not).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, Strict

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: The default limit: a complaint (5,000 characters of description, contact details) fits many times.
DEFAULT_MAX_BODY_BYTES = 64 * 1024


class BodyLimit:
    """ASGI wrapper: request bodies above `max_bytes` are answered 413 with a clear message."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                await self._refuse(send)
                return
            await self.app(scope, receive, send)  # the server never passes more than Content-Length
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > self.max_bytes:
                await self._refuse(send)
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"message": f"Request body too large: at most {self.max_bytes} bytes are accepted",
                           "detail": "request body too large", "max_bytes": self.max_bytes}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                      r"([Zz]|[+-][0-9]{2}:[0-9]{2})")


def _date_time_string(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _RFC3339.fullmatch(value) is None:
        raise ValueError("must be an RFC 3339 date-time string with a time zone, e.g. '2026-11-23T12:00:00Z'")
    return value


#: A date-time given as an RFC 3339 string with its time zone (never a number).
IsoDateTime = Annotated[AwareDatetime, Strict(False), BeforeValidator(_date_time_string)]

_ISO_ZONE_OPTIONAL = re.compile(_RFC3339.pattern.removesuffix(")") + ")?")


def _date_time_text(value: object) -> object:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _ISO_ZONE_OPTIONAL.fullmatch(value) is None:
        raise ValueError("must be an ISO 8601 date-time, e.g. '2026-11-23T12:00:00Z' (no zone means UTC)")
    return value


#: A date-time in a query: an ISO 8601 string, its zone optional (the caller then means UTC); never a number.
QueryDateTime = Annotated[datetime, BeforeValidator(_date_time_text)]


def _json_integer(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JSON Schema: 4.0 is an integer
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a whole number")
    return value


#: An integer as JSON Schema means it: 4 and 4.0, never "4" or true.
JsonInt = Annotated[int, Strict(False), BeforeValidator(_json_integer)]
