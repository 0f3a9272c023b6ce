"""The other services, over HTTP, with the signed-in member's bearer token.

The console decides nothing itself: every read and action goes to the service that owns it, so
authority is enforced there (401/403/409 come back as a `Refused` with the service's message).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from complaints.settings import Settings

ACTIONS: dict[str, tuple[str, str]] = {
    # action -> (service, path under /complaints/{id})
    "take": ("followup", "take"), "release": ("followup", "release"), "reply": ("followup", "replies"),
    "note": ("followup", "notes"), "close": ("followup", "close"), "reopen": ("followup", "reopen"),
    "assign": ("followup", "assign"), "follow-up": ("followup", "follow-up"),
    "offer": ("recovery", "offers"), "escalate": ("escalation", "escalate"),
}


READ_ATTEMPTS = 3


class Refused(Exception):
    """A service said no (or could not answer): the status and its message, for the page."""

    def __init__(self, status: int, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.details = status, details or {}


@dataclass(frozen=True)
class Urls:
    projections: str
    escalation: str
    recovery: str
    followup: str

    @classmethod
    def of(cls, s: Settings) -> Urls:
        def own(url: str | None, port: int) -> str:
            return (url or f"http://{s.host}:{port}").rstrip("/")

        return cls(own(s.console_projections_url, s.api_port), own(s.console_escalation_url, s.escalation_port),
                   own(s.console_recovery_url, s.recovery_port), own(s.console_followup_url, s.followup_port))


def message_of(reply: httpx.Response) -> str:
    try:
        detail = reply.json().get("detail", reply.text)
    except ValueError:
        return reply.text[:300] or reply.reason_phrase
    if isinstance(detail, dict):
        return str(detail.get("message") or detail)
    if isinstance(detail, list):  # FastAPI's 422: name each field
        return "; ".join(f"{'.'.join(str(p) for p in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail)
    return str(detail)


def details_of(reply: httpx.Response) -> dict[str, Any]:
    """The refusal's details (e.g. an offer above authority: `could_be_made_by`), when it has any."""
    try:
        detail = reply.json().get("detail")
    except (ValueError, AttributeError):
        return {}
    return detail if isinstance(detail, dict) else {}


class Backend:
    def __init__(self, urls: Urls, client: httpx.AsyncClient) -> None:
        self.urls, self.client = urls, client

    async def _call(self, method: str, url: str, token: str, **kwargs: Any) -> Any:
        headers = {"authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        try:
            reply = await self.client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise Refused(503, f"{url.split('/')[2]} did not answer ({type(exc).__name__}); try again.") from None
        if reply.status_code >= 400:
            raise Refused(reply.status_code, message_of(reply), details_of(reply))
        return reply.json()

    async def queue(self, token: str, params: list[tuple[str, str]]) -> dict[str, Any]:
        page: dict[str, Any] = await self._call("GET", f"{self.urls.projections}/complaints", token, params=params)
        return page

    async def case(self, token: str, complaint_id: str, min_position: str | None = None) -> dict[str, Any]:
        """The case view; with `min_position`, as of at least those positions (read-your-writes).

        The projections API waits a bounded time and answers 409 if the positions are not applied yet;
        the console asks again a few times (the page is never shown stale), then says so.
        """
        params = {"min_position": min_position} if min_position else {}
        url = f"{self.urls.projections}/complaints/{complaint_id}"
        for attempt in range(READ_ATTEMPTS):
            try:
                case: dict[str, Any] = await self._call("GET", url, token, params=params)
                return case
            except Refused as exc:
                if exc.status != 409 or attempt == READ_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def kpis(self, token: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        kpis: dict[str, Any] = await self._call("GET", f"{self.urls.projections}/kpis", token, params=params or {})
        return kpis

    async def personal_data(self, token: str, complaint_id: str, reason: str) -> dict[str, Any]:
        data: dict[str, Any] = await self._call(
            "POST", f"{self.urls.projections}/complaints/{complaint_id}/personal-data", token, json={"reason": reason})
        return data

    async def access_log(self, token: str, complaint_id: str) -> dict[str, Any]:
        log: dict[str, Any] = await self._call("GET", f"{self.urls.projections}/complaints/{complaint_id}/access-log",
                                               token)
        return log

    async def act(self, token: str, complaint_id: str, action: str, body: dict[str, Any],
                  idempotency_key: str | None = None) -> dict[str, Any]:
        """Perform an action; its answer's `positions` are what the next read waits for."""
        service, path = ACTIONS[action]
        base = getattr(self.urls, service)
        headers = {"idempotency-key": idempotency_key} if idempotency_key else {}
        result: dict[str, Any] = await self._call("POST", f"{base}/complaints/{complaint_id}/{path}", token,
                                                  json=body, headers=headers)
        return result
