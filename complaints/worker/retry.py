"""Tell the infrastructure's failures from the event's, and wait out the former.

A broker or database that is down is not the event's fault: dead-lettering would
park good events, and a dead-letter publish that fails while the broker is down would
crash the agent, which faust then acks — the event would be lost. So a transient
failure is retried with backoff (the agent pauses; its records stay un-acked) and
only a failure of the event itself (it cannot be decoded or decided) is dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psycopg
from aiokafka.errors import KafkaError, KafkaTimeoutError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

log = logging.getLogger(__name__)
T = TypeVar("T")


def transient(exc: BaseException) -> bool:
    """True for failures of the broker or the database (retry), False for the event's own."""
    if isinstance(exc, KafkaTimeoutError):
        return True
    if isinstance(exc, KafkaError):
        return bool(exc.retriable)
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        return bool(exc.connection_invalidated)
    if isinstance(exc, sqlite3.OperationalError | psycopg.OperationalError | psycopg.InterfaceError):
        return True  # the driver's own, raised where SQLAlchemy does not wrap it (the read model's COPY)
    return isinstance(exc, ConnectionError | TimeoutError)


class Backoff:
    """Exponential pauses, 0.2 s doubling up to 30 s, each one logged."""

    def __init__(self, first: float = 0.2, most: float = 30.0) -> None:
        self.delay = first
        self.most = most

    async def pause(self, what: str, exc: BaseException) -> None:
        log.warning("%s failed (%s: %s); retrying in %.1fs", what, type(exc).__name__, exc, self.delay)
        await asyncio.sleep(self.delay)
        self.delay = min(self.delay * 2, self.most)


async def persist(what: str, attempt: Callable[[], Awaitable[T]], on_retry: Callable[[], object]) -> T:
    """Run `attempt` until it succeeds, with a logged backoff pause (and `on_retry()`) after each failure."""
    backoff = Backoff()
    while True:
        try:
            return await attempt()
        except Exception as exc:
            on_retry()
            await backoff.pause(what, exc)
