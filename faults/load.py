"""A steady complaint load through intake, as customers' clients send it: one new complaint every
1/rate seconds, each with its own Idempotency-Key, retried with that key until intake accepts it
(a client that got no answer cannot know whether it was taken)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

#: A wrong sandwich, low severity: the front line owns it and recovery offers at once (deploy/policy.yaml).
BODY = {"channel": "web", "category": "wrong_order", "severity": "low",
        "description": "The sandwich was not the one I ordered."}
EXPECTED_STATUS = "recovery_offered"


@dataclass
class Sent:
    key: str
    first_try: float
    complaint_id: str | None = None
    accepted_at: float | None = None
    tries: int = 0


@dataclass
class Load:
    intake_url: str
    rate: float = 4.0
    run: str = "faults"
    sent: list[Sent] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def accepted(self) -> list[Sent]:
        return [s for s in self.sent if s.complaint_id is not None]

    async def run_until_stopped(self) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            start = time.monotonic()
            n = 0
            while not self._stop.is_set():
                item = Sent(f"{self.run}-{n}", time.monotonic())
                self.sent.append(item)
                task = asyncio.create_task(self._send(client, item, n))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                n += 1
                await asyncio.sleep(max(0.0, start + n / self.rate - time.monotonic()))
            await self.settle(120)

    def stop(self) -> None:
        self._stop.set()

    async def settle(self, timeout: float) -> None:
        """Wait (bounded) for the retries still under way."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in list(self._tasks):
            task.cancel()

    async def _send(self, client: httpx.AsyncClient, item: Sent, n: int) -> None:
        body = {**BODY, "customer": {"id": f"{self.run}-cust-{n}", "email": f"c{n}@example.com"}}
        while True:
            item.tries += 1
            try:
                r = await client.post(f"{self.intake_url}/complaints", json=body,
                                      headers={"Idempotency-Key": item.key})
                if r.status_code == 202:
                    item.complaint_id = r.json()["complaint_id"]
                    item.accepted_at = time.monotonic()
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
