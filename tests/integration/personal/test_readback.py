"""The personal-data read on both databases: read model and access log on SQLite, then on PostgreSQL.

The support API runs in this process (its lifespan runs the live projector); the events are real
records on the broker, sealed with a real vault, exactly as intake and follow-up write them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx

from complaints.envelope import encode
from complaints.kafka.producer import EventProducer
from complaints.personal.access_log import AccessLog
from complaints.pii import Vault
from complaints.settings import Settings
from schemas.common import Money
from schemas.events import ComplaintReceived, FollowedUp
from services.projections.app import create_app
from services.projections.options import ProjectionOptions
from tests.tokens import bearer

FAST = ProjectionOptions(read_wait_s=10.0, poll_timeout_ms=100, generation_check_s=0.2)
NOW = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def vault_of(settings: Settings) -> Vault:
    return Vault(settings.vault_url, settings.pii_lookup_secret.get_secret_value())


def case_events(vault: Vault, cid: str) -> tuple[str, list[ComplaintReceived | FollowedUp]]:
    ref = vault.customer_ref({"email": "dora@example.com"})
    personal = vault.seal(ref, {"email": "dora@example.com", "description": "Cold soup, twice"}, aad=cid)
    received = ComplaintReceived(
        complaint_id=cid, channel="email", customer_ref=ref, personal=personal, category="wrong_order",
        category_source="customer", severity="low", severity_source="classified",
        amount_at_stake=Money(amount=Decimal("12.00"), currency="USD"), received_at=NOW, prior_complaints=0)
    answered = FollowedUp(complaint_id=cid, offer_id="o-1", outcome="satisfied", satisfied=True, csat=5,
                          comment=vault.seal(ref, {"comment": "Hot this time"}, aad=cid), episode=1,
                          policy_version="test", recorded_by="sam")
    return ref, [received, answered]


async def test_read_logged_erased_by_an_admin_then_410_on_each_database(settings: Settings, db_url: str) -> None:
    settings = settings.model_copy(update={"projections_database_url": db_url, "access_log_url": db_url})
    vault = vault_of(settings)
    ref, events = case_events(vault, "c-soup")
    producer = EventProducer(settings)
    await producer.start()
    try:
        positions = await producer.publish([encode(e, event_id=f"e-{i}", source="/test", time=NOW)
                                            for i, e in enumerate(events)])
    finally:
        await producer.stop()
    app = create_app(settings, FAST)
    lead = bearer(settings, "lee", roles=["lead"])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://projections", timeout=30) as client:
            url = "/complaints/c-soup/personal-data"
            read = await client.post(url, json={"reason": "Customer wrote again"}, headers=lead,
                                     params={"min_position": ",".join(str(p) for p in positions)})
            assert read.status_code == 200, read.text
            assert read.json()["contact"] == {"email": "dora@example.com"}
            assert read.json()["description"] == "Cold soup, twice"
            assert [c["comment"] for c in read.json()["comments"]] == ["Hot this time"]
            erasure = f"/customers/{ref}/erasure"
            why = {"reason": "Customer's erasure request #77"}
            assert (await client.post(erasure, json=why, headers=lead)).status_code == 403  # admins only
            admin = bearer(settings, "ada", roles=["admin"])
            erased = await client.post(erasure, json=why, headers=admin)
            assert erased.status_code == 200 and erased.json()["erased"] is True, erased.text
            again = await client.post(erasure, json=why, headers=admin)
            assert again.status_code == 200 and again.json()["erased"] is False  # nothing left to erase
            gone = await client.post(url, json={"reason": "After the erasure"}, headers=lead)
            assert gone.status_code == 410, gone.text
            unknown = await client.post("/complaints/nope/personal-data", json={"reason": "A typo?"}, headers=lead)
            assert unknown.status_code == 404
    log = AccessLog(db_url)
    try:
        assert [(a.staff_id, a.reason, a.outcome, a.customer_ref) for a in log.for_case("c-soup")] == [
            ("lee", "Customer wrote again", "disclosed", ref), ("lee", "After the erasure", "erased", ref)]
        assert [(e.staff_id, e.reason, e.erased) for e in log.erasures_of(ref)] == [
            ("ada", "Customer's erasure request #77", True), ("ada", "Customer's erasure request #77", False)]
    finally:
        log.dispose()
