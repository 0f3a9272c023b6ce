"""Webhooks per the Standard Webhooks specification: `webhook-id`, `webhook-timestamp`, `webhook-signature`.

The id is the delivery's (the same on every retry, so a receiver de-duplicates by it); the
signature is HMAC-SHA256 over `id.timestamp.body` with the endpoint's `whsec_` secret
(the `standardwebhooks` package signs; receivers verify with it or any implementation).
"""

from __future__ import annotations

from datetime import datetime

import httpx
from standardwebhooks.webhooks import Webhook

from complaints.settings import WebhookEndpoint


def signed_headers(secret: str, delivery_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery_id, at, body),
        "content-type": "application/json",
    }


async def post(client: httpx.AsyncClient, endpoint: WebhookEndpoint, delivery_id: str, body: str,
               at: datetime) -> None:
    """Deliver once; raises `ConnectionError` on anything but a 2xx (the caller retries with backoff)."""
    headers = signed_headers(endpoint.secret.get_secret_value(), delivery_id, body, at)
    try:
        reply = await client.post(endpoint.url, content=body.encode(), headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        raise ConnectionError(f"{type(exc).__name__}") from None
    if not 200 <= reply.status_code < 300:
        raise ConnectionError(f"HTTP {reply.status_code}")
