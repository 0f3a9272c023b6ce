"""Issue 18 item 4: the what-if report over HTTP (`POST /what-if`), on the real broker, read-only."""

from __future__ import annotations

from decimal import Decimal

import yaml

from complaints.domain import load_policy
from complaints.envelope import encode
from complaints.ids import deterministic_id
from complaints.settings import Settings
from services.projections.api.whatif import MAX_POLICY_BYTES
from tests.integration.projections.conftest import Publisher, serve
from tests.tokens import bearer
from tests.unit.domain.conftest import DEFAULT_POLICY
from tests.unit.domain.helpers import T0
from tests.unit.domain.test_policy_whatif import H, candidate, candidate_data, known


async def test_a_lead_runs_a_candidate_policy_over_the_recorded_history(proj_settings: Settings,
                                                                          publisher: Publisher) -> None:
    history = known(load_policy(DEFAULT_POLICY))  # the hand-computed history of the unit test
    records = [encode(event, event_id=deterministic_id("whatif-it", event.complaint_id, i), source="test", time=at)
               for case in history for i, (event, at) in enumerate(case)]
    await publisher.records(records)
    body = yaml.safe_dump(candidate_data(), sort_keys=False)
    as_of = {"to": (T0 + H).isoformat()}
    async with serve(proj_settings) as client:
        lead = bearer(proj_settings, "lee-lead", roles=["lead"])
        refused = await client.post("/what-if", content=body, params=as_of)  # the client's agent token
        assert refused.status_code == 403
        answer = await client.post("/what-if", content=body, params=as_of, headers=lead)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert (report["cases"], report["level_changes"], report["department_changes"]) == (4, 2, 1)
        assert (report["offers_differ"], report["breaches_added"], report["breaches_removed"]) == (3, 0, 1)
        assert Decimal(report["cost_before"]["USD"]) == Decimal("89.00")
        assert Decimal(report["cost_after"]["USD"]) == Decimal("144.00")
        assert report["candidate"] == candidate().policy_id

        broken = yaml.safe_load(body)
        broken["recovery"]["gesture"]["USD"] = "-1"
        bad = await client.post("/what-if", content=yaml.safe_dump(broken), params=as_of, headers=lead)
        assert bad.status_code == 422 and any(p.startswith("recovery.gesture.USD")
                                              for p in bad.json()["detail"]["problems"])
        big = await client.post("/what-if", content=b"#" * (MAX_POLICY_BYTES + 1), headers=lead)
        assert big.status_code == 413
        empty = await client.post("/what-if", content=body, params={"to": (T0 - H).isoformat()}, headers=lead)
        assert empty.status_code == 200 and empty.json()["cases"] == 0  # nothing was received before then
