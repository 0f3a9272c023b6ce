"""Intake's service layer: the adapters it needs, grouped database work, and the publish step.

Every request needs a few database steps (the customer's reference and key from the vault,
their complaint history, the idempotency claim). Done one request at a time on a thread
pool, concurrent requests fought over SQLite's single write lock and slept in its busy
handler (~230 complaints/s, p99 in seconds at 500/s; see bench/RESULTS.md). Here one
thread does all of them: it takes every request waiting at that moment (a group), resolves
and seals the whole group in ONE vault transaction (`Vault.seal_many`), then writes its
history, claims and published positions in ONE store transaction (group commit), and
answers each request's future.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from complaints.domain.intake import received_event_id
from complaints.domain.policy_book import Policies
from complaints.envelope import encode
from complaints.kafka.producer import EventProducer
from complaints.pii import ToSeal, Vault
from schemas.common import Sealed
from schemas.events import ComplaintReceived
from services.intake.store import Claim, HistoryEntry, IntakeStore

log = logging.getLogger(__name__)

#: Most requests written in one transaction.
GROUP_MAX = 256
#: A group smaller than GATHER_BELOW waits up to GATHER_S for more requests before it is written.
GATHER_BELOW = 4
GATHER_S = 0.001


@dataclass(frozen=True)
class Submission:
    """What one request needs from the databases: a customer reference, its sealed data, its history."""

    complaint_id: str
    identifiers: Mapping[str, str | None]
    personal: Mapping[str, Any]
    received_at: datetime
    #: Builds the event once the customer reference, sealed data and prior-complaint count are known.
    build: Callable[[str, Sealed, int], ComplaintReceived]
    idempotency_key: str | None = None
    fingerprint: str = ""


@dataclass(frozen=True)
class Prepared:
    """A request ready to publish: its event, or the claim that already stands for its key."""

    complaint_id: str
    event: ComplaintReceived | None = None
    claim: Claim | None = None

    def to_publish(self) -> ComplaintReceived:
        if self.event is not None:
            return self.event
        assert self.claim is not None
        return ComplaintReceived.model_validate_json(self.claim.event_json)


@dataclass(frozen=True)
class _Published:
    key: str
    position: str


_Job = tuple[Submission | _Published, asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


@dataclass
class Intake:
    producer: EventProducer
    store: IntakeStore
    vault: Vault
    public_api_url: str
    history_days: int
    policies: Policies  # the one in force classifies and triages (`complaints.domain.intake.build_received`)
    _jobs: queue.SimpleQueue[_Job] = field(default_factory=queue.SimpleQueue, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    @staticmethod
    def new_complaint_id() -> str:
        return str(uuid.uuid4())

    # the request path -------------------------------------------------------
    async def prepare(self, submission: Submission) -> Prepared:
        """Vault, history and idempotency claim for one request, written in a group with its neighbours."""
        result: Prepared = await self._submit(submission)
        return result

    async def publish(self, event: ComplaintReceived, idempotency_key: str | None) -> str:
        """Publish and wait for the broker's ack; the event id is deterministic per complaint."""
        record = encode(event, event_id=received_event_id(event.complaint_id),
                        source="/complaints/intake", time=event.received_at)
        [position] = await self.producer.publish([record])
        if idempotency_key:
            await self._submit(_Published(idempotency_key, str(position)))
        return str(position)

    # the database thread ----------------------------------------------------
    async def _submit(self, job: Submission | _Published) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="intake-db", daemon=True)
            self._thread.start()
        self._jobs.put((job, loop, future))
        return await future

    def _run(self) -> None:
        while True:
            group = [self._jobs.get()]
            gather_until = time.monotonic() + GATHER_S
            while len(group) < GROUP_MAX:
                try:  # a tiny group waits up to GATHER_S for company: per-group costs dominate at moderate rates
                    wait = gather_until - time.monotonic() if len(group) < GATHER_BELOW else 0
                    group.append(self._jobs.get(timeout=wait) if wait > 0 else self._jobs.get_nowait())
                except queue.Empty:
                    break
            try:
                results = self._handle([job for job, _, _ in group])
            except Exception as exc:  # the group's transaction failed: each job alone, so one bad job fails alone
                log.warning("intake: a group of %d failed (%s); retrying one by one", len(group), exc)
                results = []
                for job, _, _ in group:
                    try:
                        results.extend(self._handle([job]))
                    except Exception as single:
                        results.append(single)
            for (_, loop, future), result in zip(group, results, strict=True):
                loop.call_soon_threadsafe(_settle, future, result)

    def _handle(self, jobs: list[Submission | _Published]) -> list[Any]:
        """One vault transaction for the group's customers and sealing, one store transaction for the rest."""
        keys = [j.idempotency_key for j in jobs if isinstance(j, Submission) and j.idempotency_key]
        results: list[Any] = [None] * len(jobs)  # a _Published job's result is None
        with self.store.engine.begin() as conn:
            standing = self.store.get_many_in(conn, keys) if keys else {}
            fresh: dict[int, Submission] = {}
            for i, job in enumerate(jobs):
                if isinstance(job, Submission) and job.idempotency_key in standing:
                    claim = standing[job.idempotency_key]
                    results[i] = Prepared(claim.complaint_id, claim=claim)
                elif isinstance(job, Submission):
                    fresh[i] = job
            # the vault commits before this transaction writes anything (its first write is below), so
            # the two never wait for each other, even when they share one SQLite file
            blobs = self._seal_group(list(fresh.values()))
            entries = [HistoryEntry(b.key_ref, s.complaint_id, s.received_at)
                       for s, b in zip(fresh.values(), blobs, strict=True)]
            self.store.mark_published_in(conn, {j.key: j.position for j in jobs if isinstance(j, _Published)})
            priors = self.store.group_prior_complaints_in(conn, entries, self.history_days)
            for (i, job), blob, prior in zip(fresh.items(), blobs, priors, strict=True):
                results[i] = self._prepare_in(conn, job, blob, prior)
        return results

    def _seal_group(self, subs: list[Submission]) -> list[Sealed]:
        """Each submission's personal data sealed with its customer's key (`key_ref`: the customer reference).

        One vault call for the whole group; the vault reads keys afresh on every call, so an
        erased customer's key is never used and their next complaint gets a new reference.
        """
        return self.vault.seal_many([ToSeal(s.identifiers, s.personal, s.complaint_id) for s in subs])

    def _prepare_in(self, conn: Connection, job: Submission, blob: Sealed, prior: int) -> Prepared | Exception:
        """Build one request's event and, when it has an idempotency key, claim the key for it."""
        try:
            event = job.build(blob.key_ref, blob, prior)
        except Exception as exc:
            return exc
        if not job.idempotency_key:
            return Prepared(job.complaint_id, event=event)
        event_json = event.model_dump_json()
        claim = self.store.claim_in(conn, job.idempotency_key, job.fingerprint, job.complaint_id, event_json,
                                    job.received_at)
        mine = claim.event_json == event_json  # else an earlier request's claim stands
        return Prepared(claim.complaint_id, event=event if mine else None, claim=claim)


def _settle(future: asyncio.Future[Any], result: Any) -> None:
    if future.done():  # the request was cancelled (client went away)
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
