"""The delivery loop: claim each due message, send it (mail or webhook), record the outcome.

A message is sent only by the process whose claim moved it to `sending`; a failure is retried
with exponential backoff up to `COMPLAINTS_NOTIFY_MAX_ATTEMPTS`, then dead-lettered (status
`dead`, listed at GET /deliveries). Contact details are opened from the vault just before
sending and never logged or stored; errors are recorded by kind only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

import httpx

from complaints.domain.policy import Policy
from complaints.pii import Vault
from complaints.pii.vault import KeyErased
from complaints.settings import Settings
from services.customer.links import Links
from services.notifier import mail, render, webhooks
from services.notifier.plan import EMAIL, Kind, still_wanted
from services.notifier.store import Delivery, NotifierStore

log = logging.getLogger(__name__)
#: How long a claimed message is ours; a message whose sender died mid-way is sent again after it.
LEASE = timedelta(seconds=20)  # > the SMTP and webhook timeouts (10 s)
#: Messages delivered at once (SMTP connections, webhook requests).
PARALLEL = 16


class Skip(Exception):
    """The message is no longer wanted or cannot be sent at all (said why, in words without personal data)."""


class Sender:
    def __init__(self, settings: Settings, store: NotifierStore, vault: Vault, policy: Policy, links: Links) -> None:
        self.settings = settings
        self.store = store
        self.vault = vault
        self.policy = policy
        self.links = links
        self.endpoints = {e.name: e for e in settings.webhooks}
        self.counters = {"sent": 0, "retried": 0, "dead": 0, "skipped": 0}
        self._client: httpx.AsyncClient | None = None

    async def run(self, stop: asyncio.Event, interval: float = 0.2) -> None:
        async with httpx.AsyncClient() as client:
            self._client = client
            while not stop.is_set():
                try:
                    busy = await self.round()
                except Exception:  # the database is away: try again next round
                    log.exception("notifier: delivery round failed")
                    busy = 0
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), interval)

    async def round(self) -> int:
        """Claim and deliver what is due, several at a time (each claim is this process's alone)."""
        now = datetime.now(UTC)
        due = await asyncio.to_thread(self.store.due, now, PARALLEL)  # all sent well within their claim
        claimed = [item for item in due if await asyncio.to_thread(self.store.claim, item, now, LEASE)]
        by_case: dict[str, list[Delivery]] = {}
        for item in claimed:  # due order: one case's messages go out in order ("received" before the offer)
            by_case.setdefault(item.complaint_id, []).append(item)
        await asyncio.gather(*(self._in_order(items) for items in by_case.values()))
        return len(claimed)

    async def _in_order(self, items: list[Delivery]) -> None:
        for item in items:
            await self.deliver(item)

    async def deliver(self, item: Delivery) -> None:
        now = datetime.now(UTC)
        attempt = item.attempts + 1
        try:
            if item.channel == EMAIL:
                await self._email(item)
            else:
                await self._webhook(item, now)
        except Skip as exc:
            await self._finish(item, "skipped", now, str(exc))
        except mail.PermanentFailure as exc:
            await self._finish(item, "dead", now, str(exc))
        except Exception as exc:
            error = str(exc) if isinstance(exc, ConnectionError) else type(exc).__name__
            if attempt >= self.settings.notify_max_attempts:
                await self._finish(item, "dead", now, f"{error} (after {attempt} attempts)")
            else:
                pause = min(self.settings.notify_retry_base_s * 2 ** (attempt - 1), 3600.0)
                await self._finish(item, "retry", now, error, now + timedelta(seconds=pause))
        else:
            await self._finish(item, "sent", now)

    async def _finish(self, item: Delivery, status: str, now: datetime, error: str | None = None,
                      retry_at: datetime | None = None) -> None:
        await asyncio.to_thread(self.store.finish, item, status, now, error, retry_at)
        self.counters["retried" if status == "retry" else status] += 1
        log.info("delivery %s (%s, %s): %s%s", item.id, item.kind, item.channel, status, f" — {error}" if error else "")

    async def _email(self, item: Delivery) -> None:
        kind: Kind = item.kind  # type: ignore[assignment]
        case = await asyncio.to_thread(self.store.case, item.complaint_id)
        reason = still_wanted(case, kind, item.offer_id)
        if reason:
            raise Skip(reason)
        if case is None or case.contact is None:
            raise ConnectionError("the complaint itself has not arrived yet")
        try:
            contact = await asyncio.to_thread(self.vault.open, case.contact, item.complaint_id)
        except KeyErased:
            raise Skip("the customer's personal data was erased") from None
        address = contact.get("email")
        if not address:
            raise Skip("the customer gave no email address")
        language = render.pick_language(kind, contact.get("language"))
        link = self.links.url(item.complaint_id, language) if kind in ("offer", "follow_up") else None
        ctx = render.context(case, kind, item.offer_id, self.policy, link, contact.get("name"))
        if kind == "reply":  # what staff wrote, opened only now (like the contact)
            sealed = case.replies.get(item.cause_id)
            if sealed is None:
                raise ConnectionError("the reply has not been folded yet")
            opened = await asyncio.to_thread(self.vault.open, sealed, item.complaint_id)
            ctx["message"] = str(opened.get("message", ""))
        email = render.render(kind, language, ctx)
        msg = mail.build(self.settings, delivery_id=item.id, to=address, subject=email.subject, body=email.body,
                         language=email.language)
        await mail.send(self.settings, msg)

    async def _webhook(self, item: Delivery, now: datetime) -> None:
        endpoint = self.endpoints.get(item.channel.removeprefix("webhook:"))
        if endpoint is None:
            raise Skip("this endpoint is no longer configured")
        assert self._client is not None and item.payload is not None
        await webhooks.post(self._client, endpoint, item.id, item.payload, now)
