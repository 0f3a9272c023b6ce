"""The case view's resolution SLA on the real broker: paused while the offer awaits the customer, resumed
at the answer, as intake recorded the target (issue 18 item 3)."""

from __future__ import annotations

from complaints.settings import Settings
from tests.integration.projections.conftest import Publisher, serve
from tests.unit.readmodel.factory import Ev, H
from tests.unit.readmodel.test_resolution import MON, TUE, WED, answer, arrive, offer, office_policy


def z(moment: object) -> str:
    return moment.isoformat().replace("+00:00", "Z")  # type: ignore[attr-defined]


async def test_the_case_view_shows_the_resolution_clock_paused_and_resumed(proj_settings: Settings,
                                                                          publisher: Publisher) -> None:
    received = arrive(office_policy(), "c-pause")
    async with serve(proj_settings) as client:
        [pos] = await publisher.events([Ev(received, MON, "rp-1")])
        sla = (await client.get("/complaints/c-pause", params={"min_position": pos})).json()["sla"]
        # the view is as of now (long after March): the running clock ran out, so it is breached
        assert (sla["resolution_due"], sla["resolution_paused"], sla["resolution_breached"]) == (
            z(TUE.replace(hour=15)), False, True)
        [pos] = await publisher.events([Ev(offer("c-pause", "o1"), MON + H, "rp-2")])
        sla = (await client.get("/complaints/c-pause", params={"min_position": pos})).json()["sla"]
        assert (sla["resolution_due"], sla["resolution_paused"], sla["resolution_breached"]) == (None, True, False)
        [pos] = await publisher.events([Ev(answer("c-pause", "o1", "unsatisfied"), TUE.replace(hour=11), "rp-3")])
        sla = (await client.get("/complaints/c-pause", params={"min_position": pos})).json()["sla"]
        assert (sla["resolution_due"], sla["resolution_paused"], sla["resolution_breached"]) == (
            z(WED.replace(hour=10)), False, True)
