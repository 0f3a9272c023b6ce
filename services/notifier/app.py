"""Notifier wiring: the consumer, the delivery loop, the deliveries API and the customer's page.

Run with `complaints run notifier`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request

from complaints.auth.http import StaffDep, install_auth
from complaints.domain.policy import load_policy
from complaints.http import frozen_after_startup, health_router, install_guards
from complaints.kafka.producer import EventProducer
from complaints.observability.http import instrument_app
from complaints.observability.logs import configure_logging, service_log_config
from complaints.observability.vault import instrument_vault
from complaints.pii import Vault
from complaints.pii.secrets import require_secret
from complaints.settings import Settings, get_settings
from complaints.worker import tuning
from services.customer.links import Links
from services.customer.routes import router as customer_router
from services.notifier.consumer import Consumer
from services.notifier.desk import Desk
from services.notifier.sender import Sender
from services.notifier.staff_routes import router as staff_router
from services.notifier.store import NotifierStore

router = APIRouter(tags=["deliveries"])
Status = Literal["pending", "sending", "sent", "retry", "dead", "skipped"]


@router.get("/deliveries")
def list_deliveries(
    request: Request,
    staff: StaffDep,
    status: Status | None = None,
    channel: Annotated[str | None, Query(max_length=64, description="`email` or `webhook:<name>`")] = None,
    complaint_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """Every message planned, with its status and attempts (no personal data; oldest first)."""
    store: NotifierStore = request.app.state.store
    return store.listing(status, channel, complaint_id, limit)


@router.post("/deliveries/{delivery_id}/retry", status_code=202,
             responses={409: {"description": "Not a dead-lettered delivery"}})
def retry_delivery(request: Request, delivery_id: str, staff: StaffDep) -> dict[str, str]:
    """Give a dead-lettered message a fresh round of attempts (after fixing the endpoint or mail server)."""
    store: NotifierStore = request.app.state.store
    if not store.requeue(delivery_id, datetime.now(UTC)):
        raise HTTPException(409, "only a dead-lettered delivery can be retried")
    return {"id": delivery_id, "status": "retry"}


@router.get("/stats", tags=["health"])
def stats(request: Request, staff: StaffDep) -> dict[str, Any]:
    return {"service": "notifier", **request.app.state.consumer.counters, **request.app.state.sender.counters}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    policy = load_policy(settings.policy_file)
    store = NotifierStore(settings.database_url)
    vault = instrument_vault(Vault.from_settings(settings), settings.metrics_enabled)
    links = Links(require_secret(settings, "COMPLAINTS_CUSTOMER_LINK_SECRET",
                                 settings.customer_link_secret.get_secret_value()), settings.customer_url,
                  timedelta(days=settings.customer_link_days))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        producer = EventProducer(settings)
        await producer.start()
        consumer = Consumer(settings, store, producer, batch_max=tuning.BATCH_MAX,
                            batch_within=tuning.NOTIFY_BATCH_WITHIN_S)
        sender = Sender(settings, store, vault, policy, links, producer)
        stop = asyncio.Event()
        app.state.store, app.state.consumer, app.state.sender = store, consumer, sender
        app.state.desk = Desk(store, links, producer, vault, policy)

        async def health() -> tuple[bool, dict[str, Any]]:
            broker = await producer.healthy()
            return broker and consumer.joined, {"broker": broker, "joined": consumer.joined}

        app.state.health_check = health
        await consumer.app.start()
        sending = asyncio.create_task(sender.run(stop))
        try:
            yield
        finally:
            stop.set()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sending, 35)
            await consumer.app.stop()
            await producer.stop()

    app = FastAPI(title="Complaints notifier", version="1", lifespan=lifespan,
                  description="Tells the customer (email, their own page) and other systems (signed webhooks).")
    install_guards(app, settings)
    app.include_router(router)
    app.include_router(staff_router)
    app.include_router(customer_router)
    app.include_router(health_router)
    return frozen_after_startup(instrument_app(install_auth(app, "notifier", settings), "notifier", settings))


def main() -> None:
    import uvicorn

    settings = get_settings()
    # One line per delivery outcome at INFO (ids, kind, channel, status: never an address or a name).
    configure_logging("notifier", settings.log_level, settings.log_format)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.notifier_port, log_level="warning",
                log_config=service_log_config("notifier", settings))
