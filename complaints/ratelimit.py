"""Per-client rate limit of a public endpoint (the `limits` library, moving windows, in memory).

Intake is public: customers need no account, so the only handle on a flood is where it comes
from. Each client address gets every window of `COMPLAINTS_INTAKE_RATE_LIMIT` (e.g.
`10/second;300/minute`); past one, intake answers 429 with `Retry-After`, before any
database or broker work. Behind a proxy, uvicorn takes the client address from
`X-Forwarded-For` sent by the addresses in `FORWARDED_ALLOW_IPS`. Each replica counts its own
clients (a shared counter would add a network hop to every complaint).
"""

from __future__ import annotations

import math
import time

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

OFF = "off"


class RateLimit:
    def __init__(self, spec: str) -> None:
        self.items: list[RateLimitItem] = [] if spec.strip().lower() == OFF else parse_many(spec)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, request: Request) -> None:
        """Count one request of this client; 429 with `Retry-After` when a window is full."""
        if not self.items:
            return
        client = request.client.host if request.client else "unknown"
        for item in self.items:
            if not self._limiter.hit(item, "intake", client):
                reset = self._limiter.get_window_stats(item, "intake", client).reset_time
                retry_after = max(1, math.ceil(reset - time.time()))
                raise HTTPException(429, f"Too many complaints from this address: at most {item} are accepted; "
                                         f"try again in {retry_after} s", headers={"Retry-After": str(retry_after)})

