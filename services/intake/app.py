"""Intake wiring: settings → adapters → FastAPI app. Run with `complaints run intake`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from complaints.http import frozen_after_startup, health_router, install_guards
from complaints.kafka.producer import EventProducer
from complaints.observability.http import instrument_app
from complaints.observability.logs import service_log_config
from complaints.observability.vault import instrument_vault
from complaints.pii import Vault
from complaints.policy_shelf import PolicyShelf
from complaints.ratelimit import RateLimit
from complaints.settings import Settings, get_settings
from services.intake.api import router
from services.intake.service import Intake
from services.intake.store import IntakeStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    vault = Vault.from_settings(settings)  # refuses empty or public secrets before anything starts

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        producer = EventProducer(settings)
        await producer.start()

        async def health_check() -> tuple[bool, dict[str, object]]:
            ok = await producer.healthy()
            return ok, {"broker": ok}

        app.state.health_check = health_check
        app.state.intake = Intake(
            producer=producer,
            store=IntakeStore(settings.database_url),
            vault=instrument_vault(vault, settings.metrics_enabled),
            public_api_url=settings.public_api_url.rstrip("/"),
            history_days=settings.customer_history_days,
            policies=PolicyShelf(settings.policy_file),
        )
        try:
            yield
        finally:
            await producer.stop()

    app = FastAPI(title="Complaints intake", version="1", lifespan=lifespan,
                  description="Accepts complaints from every channel and publishes `ComplaintReceived`.")
    install_guards(app, settings)
    app.state.rate_limit = RateLimit(settings.intake_rate_limit)
    app.include_router(router)
    app.include_router(health_router)
    return frozen_after_startup(instrument_app(app, "intake", settings))


def main() -> None:
    import uvicorn

    settings = get_settings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.intake_port, log_level="warning",
                log_config=service_log_config("intake", settings))
