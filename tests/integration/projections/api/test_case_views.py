"""Case views after each lifecycle step, read-your-writes, and time travel — on the real broker."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from complaints.settings import Settings, default_policy_file
from services.projections.options import ProjectionOptions
from tests.integration.projections.conftest import Publisher, latest, serve
from tests.unit.readmodel.factory import T0, D, H, M, received, sandwich, unhappy


async def test_case_view_after_each_lifecycle_step(proj_settings: Settings, publisher: Publisher) -> None:
    events = unhappy("c-life")
    expected = [
        ("received", "front_line", None, 1),
        ("escalated", "supervisor", "finance", 1),
        ("recovery_offered", "supervisor", "finance", 1),
        ("reopened", "supervisor", "finance", 2),
        ("reopened", "manager", "finance", 2),
        ("recovery_offered", "manager", "finance", 2),
        ("closed", "manager", "finance", 2),
    ]
    async with serve(proj_settings) as client:
        for step, (ev, want) in enumerate(zip(events, expected, strict=True)):
            [pos] = await publisher.events([ev])
            r = await client.get("/complaints/c-life", params={"min_position": pos})
            assert r.status_code == 200, r.text
            view = r.json()
            assert (view["status"], view["level"], view["department"], view["episode"]) == want, step
            assert len(view["timeline"]) == step + 1 and view["timeline"][-1]["id"] == ev.id
            assert view["timeline"][-1]["position"] == pos and pos in view["positions"]
        assert view["customer_ref"] == "cust-unhappy" and "personal" not in r.text and "ciphertext" not in r.text
        assert [o["offer_id"] for o in view["offers"]] == ["c-life-o1", "c-life-o2"]
        assert [(f["outcome"], f["csat"]) for f in view["follow_ups"]] == [("unsatisfied", 2), ("satisfied", 4)]
        assert view["outcome"]["outcome"] == "satisfied" and view["reopen_count"] == 1
        assert view["sla"]["due_at"] is not None and view["sla"]["breached"] is False
        assert [e["type"] for e in view["timeline"]] == ["ComplaintReceived", "Escalated", "RecoveryOffered",
                                                         "FollowedUp", "Escalated", "RecoveryOffered", "FollowedUp"]
        r = await client.get("/complaints/no-such-case")
        assert r.status_code == 404 and "no-such-case" in r.json()["detail"]


async def test_the_front_line_deadline_comes_from_the_configured_policy(proj_settings: Settings, publisher: Publisher,
                                                                       tmp_path: Path) -> None:
    """Before any escalation the case view's SLA is the configured policy's, live and `as_of` alike."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(default_policy_file().read_text().replace(
        "email:     {default: 1d, high: 4h, critical: 1h}", "email:     {default: 3h, high: 4h, critical: 1h}"))
    settings = proj_settings.model_copy(update={"policy_file": policy})
    async with serve(settings) as client:
        [pos] = await publisher.events([received("c-policy", T0, channel="email")])
        now = (await client.get("/complaints/c-policy", params={"min_position": pos})).json()
        then = (await client.get("/complaints/c-policy", params={"as_of": (T0 + M).isoformat()})).json()
    due = (T0 + 3 * H).isoformat().replace("+00:00", "Z")
    assert now["sla"]["due_at"] == then["sla"]["due_at"] == due, (now["sla"], then["sla"])


async def test_read_your_writes_waits_then_answers_409(proj_settings: Settings, publisher: Publisher) -> None:
    async with serve(proj_settings, ProjectionOptions(read_wait_s=0.5, poll_timeout_ms=100)) as client:
        positions = await publisher.events(sandwich("c-ryw"))
        r = await client.get("/complaints/c-ryw", headers={"X-Min-Position": latest(positions)})
        assert r.status_code == 200 and r.json()["status"] == "closed"
        ahead = positions[0].rsplit(":", 1)[0] + ":100000"
        r = await client.get("/complaints/c-ryw", params={"min_position": ahead})
        assert r.status_code == 409 and r.headers["retry-after"] == "1"
        assert ahead in r.json()["message"] and r.json()["missing"] == [ahead]
        r = await client.get("/complaints", params={"min_position": "Nope:1"})
        assert r.status_code == 422 and "min_position" in r.json()["message"]


async def test_as_of_answers_as_the_system_stood(proj_settings: Settings, publisher: Publisher) -> None:
    async with serve(proj_settings) as client:
        positions = await publisher.events(unhappy("c-past") + sandwich("c-sand", T0 + 3 * H))
        r = await client.get("/complaints/c-past", params={"min_position": latest(positions)})
        assert r.json()["status"] == "closed"

        async def at(when: object) -> dict:
            r = await client.get("/complaints/c-past", params={"as_of": when.isoformat()})  # type: ignore[attr-defined]
            assert r.status_code == 200, r.text
            return r.json()

        view = await at(T0 + 30 * M)
        assert (view["status"], view["level"], len(view["timeline"])) == ("escalated", "supervisor", 2)
        assert view["as_of"] is not None and view["sla"]["breached"] is False
        view = await at(T0 + D + 30 * M)
        assert (view["status"], view["level"], view["episode"]) == ("reopened", "manager", 2)
        view = await at(T0 + 2 * D)
        assert view["status"] == "closed"
        r = await client.get("/complaints/c-past", params={"as_of": (T0 - timedelta(seconds=1)).isoformat()})
        assert r.status_code == 404

        queue = (await client.get("/complaints", params={"as_of": (T0 + 3 * H + M).isoformat()})).json()
        assert {i["complaint_id"]: i["status"] for i in queue["items"]} == {"c-past": "recovery_offered",
                                                                              "c-sand": "received"}
        queue = (await client.get("/complaints", params={"as_of": (T0 + 4 * H).isoformat(), "status": "closed"}))
        assert [i["complaint_id"] for i in queue.json()["items"]] == ["c-sand"]
        r = await client.get("/complaints", params={"as_of": "yesterday-ish"})
        assert r.status_code == 422 and "as_of" in r.json()["message"]


BAD_QUERIES = [{"level": "boss"}, {"limit": "0"}, {"breached": "maybe"}, {"sort": "random"}, {"cursor": "not/a=cursor"},
               {"status": "lost"}, {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01"}]


async def test_bad_query_parameters_are_refused_naming_the_field_and_every_endpoint_is_documented(
        proj_settings: Settings) -> None:
    async with serve(proj_settings, ProjectionOptions(run_projector=False)) as client:
        for query in BAD_QUERIES:
            r = await client.get("/complaints", params=query)
            assert r.status_code == 422, (query, r.text)
            field = "to" if "to" in query else next(iter(query))
            assert field in {e["field"].split(".")[0] for e in r.json()["errors"]}, (query, r.json())
        r = await client.get("/complaints", params={"cursor": "garbage"})  # well-formed, never issued
        assert r.status_code == 404 and "not a cursor this API issued" in r.json()["detail"]
        r = await client.get("/kpis", params={"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"})
        assert r.status_code == 200 and r.json()["volume"] == 0  # `to` before `from`: an empty window
        r = await client.get("/kpis", params={"channel": "pigeon"})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "channel"
        spec = (await client.get("/openapi.json")).json()
        assert set(spec["paths"]) == {"/complaints/{complaint_id}", "/complaints", "/kpis", "/health",
                                      "/complaints/{complaint_id}/personal-data",
                                      "/complaints/{complaint_id}/access-log", "/customers/{customer_ref}/erasure",
                                      "/what-if"}
        for path, ops in spec["paths"].items():
            for op in ops.values():
                assert op["responses"]["200"]["content"]["application/json"]["schema"], path
                assert op.get("description") or op.get("summary"), path
