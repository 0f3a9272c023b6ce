"""The start-up freeze is an edge: installed around any app's lifespan, it holds while the app serves."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient

from complaints.http import frozen_after_startup


def test_the_app_serves_with_its_start_up_objects_frozen_and_unfreezes_before_its_own_shutdown() -> None:
    seen: dict[str, int] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        seen["at_start"] = gc.get_freeze_count()
        yield
        seen["at_stop"] = gc.get_freeze_count()

    app = FastAPI(lifespan=lifespan)

    @app.get("/frozen")
    def frozen() -> int:
        return gc.get_freeze_count()

    assert frozen_after_startup(app) is app
    with TestClient(app) as client:
        assert client.get("/frozen").json() > 0  # what start-up made stays out of full collections
    assert seen == {"at_start": 0, "at_stop": 0}  # not during the app's own start-up and shutdown
    assert gc.get_freeze_count() == 0
