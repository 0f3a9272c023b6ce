"""Queues (filters, urgency order, cursor pagination) and KPIs against hand-computed values."""

from __future__ import annotations

from typing import Any

from complaints.settings import Settings
from tests.integration.projections.conftest import Publisher, latest, serve
from tests.unit.readmodel import expected_kpis
from tests.unit.readmodel.factory import T0, D, H, kpi_cases


async def test_queue_filters_and_pagination(proj_settings: Settings, publisher: Publisher) -> None:
    async with serve(proj_settings) as client:
        at = latest(await publisher.events(kpi_cases()))

        async def ids(**params: Any) -> list[str]:
            r = await client.get("/complaints", params={"min_position": at, **params})
            assert r.status_code == 200, r.text
            return [item["complaint_id"] for item in r.json()["items"]]

        # Urgency: pending first responses by due time first, then the rest by id.
        assert await ids() == ["D", "F", "A", "B", "C", "E"]
        assert await ids(status="closed") == ["A", "B", "C"]
        assert await ids(status=["received", "recovery_offered"]) == ["D", "F", "E"]
        assert await ids(open="true") == ["D", "F", "E"]
        assert await ids(level="supervisor") == ["E"]
        assert await ids(level="manager", department="finance") == []
        assert await ids(department="finance") == ["C"]
        assert await ids(channel="social") == ["A", "B"]
        assert await ids(breached="true") == ["D", "F"]
        assert await ids(breached="false", channel="social") == ["A", "B"]
        assert await ids(customer="cust-a") == ["A", "E"]
        assert await ids(**{"from": (T0 + H).isoformat(), "to": (T0 + D).isoformat()}) == ["D", "B", "E"]
        assert await ids(sort="newest") == ["F", "E", "D", "B", "A", "C"]

        async def paged(sort: str, limit: int) -> tuple[list[str], int]:
            seen: list[str] = []
            cursor, pages = None, 0
            while True:
                params: dict[str, Any] = {"limit": limit, "sort": sort, **({"cursor": cursor} if cursor else {})}
                page = (await client.get("/complaints", params=params)).json()
                seen += [i["complaint_id"] for i in page["items"]]
                pages += 1
                cursor = page["next_cursor"]
                if cursor is None:
                    return seen, pages

        assert await paged("oldest", 4) == (["A", "C", "B", "D", "E", "F"], 2)
        assert await paged("newest", 4) == (["F", "E", "D", "B", "A", "C"], 2)
        # One by one across the boundary between pending due times and cases with nothing pending.
        assert await paged("urgency", 1) == (["D", "F", "A", "B", "C", "E"], 6)
        page = (await client.get("/complaints", params={"limit": 2, "open": "true"})).json()
        rest = (await client.get("/complaints", params={"limit": 2, "open": "true", "cursor": page["next_cursor"]}))
        assert [i["complaint_id"] for i in page["items"] + rest.json()["items"]] == ["D", "F", "E"]

        item = (await client.get("/complaints", params={"customer": "cust-b"})).json()["items"][0]
        assert item["status"] == "closed" and item["offers"] == 2 and item["reopen_count"] == 1
        assert item["position"] and item["sla"]["due_at"]


async def test_kpis_match_hand_computed_values(proj_settings: Settings, publisher: Publisher) -> None:
    async with serve(proj_settings) as client:
        at = latest(await publisher.events(kpi_cases()))
        r = await client.get("/kpis", params={"min_position": at})
        assert r.status_code == 200, r.text
        expected_kpis.check(r.json(), expected_kpis.ALL)
        expected_kpis.check((await client.get("/kpis", params={"channel": "social"})).json(), expected_kpis.SOCIAL)
        window = (await client.get("/kpis", params={"from": T0.isoformat(), "to": (T0 + 5 * D).isoformat()})).json()
        assert window["volume"] == 5 and "web" not in window["sla_by_channel"]
        assert window["received_from"].startswith("2026-01-05T09:00:00")
