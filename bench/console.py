"""The console's pages with a large read model: queue and case page render p95, beside the bare reads.

The read model is seeded directly through the projections' own writer (`ingest/writer.apply_batch`,
the live projector's unit of work) with `console_cases` received cases, a quarter of them with an
offer; then projections and the console run as processes, and one client reads, one request at a
time: the console's queue page and case page (signed in as a front-line agent), and — the ceiling,
in the same run — the projections' own `GET /complaints` and `GET /complaints/{id}` that those
pages are built from (same token, same filters).
"""

from __future__ import annotations

import random
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from bench.context import Figure, Run
from bench.httpload import percentile
from bench.procs import Services, service_env
from complaints.auth.staff import Staff
from complaints.auth.tokens import create_dev_key, issue_dev_token
from complaints.broker.embedded import start_broker
from complaints.domain.policy import load_policy
from complaints.envelope import Envelope, encode
from complaints.ids import deterministic_id
from complaints.settings import Settings, default_policy_file
from complaints.topics import ensure_topics
from schemas.common import Money, Sealed
from schemas.events import ComplaintReceived, Event, RecoveryOffered, Remedy
from services.projections.ingest.writer import Classified, apply_batch
from services.projections.storage.store import Catalog

TARGET_MS = 150.0
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CHANNELS = ("web", "email", "phone", "chat", "in_person", "social")


def _item(event: Event, at: datetime, offset: int) -> Classified:
    """The event as the live projector hands it to the writer (as `tests/integration/projections` do)."""
    eid = deterministic_id("bench-console", event.topic, event.complaint_id)
    record = encode(event, event_id=eid, source="bench", time=at)
    env = Envelope(id=eid, type=event.event_type(), source="bench", time=at, subject=event.complaint_id,
                   correlation_id=event.complaint_id, causation_id=None, event=event)
    return Classified(event.topic, 0, offset, envelope=env, payload=record.value.decode())


def seed(url: str, cases: int, batch: int = 5_000) -> list[str]:
    """`cases` complaints in the read model (every 4th with an offer); their ids."""
    catalog = Catalog(url)
    gen = catalog.ensure_active()
    ids, offsets = [], {"ComplaintReceived": 0, "RecoveryOffered": 0}
    version = load_policy(default_policy_file()).policy_id  # cases received under the shipped policy
    sealed = Sealed(key_ref="bench", nonce="bm9uY2Vub25jZTE", ciphertext="c2VjcmV0")
    items: list[Classified] = []
    for n in range(cases):
        cid = f"bench-{n:07d}"
        at = T0 + timedelta(seconds=n)
        ids.append(cid)
        items.append(_item(ComplaintReceived(
            complaint_id=cid, channel=CHANNELS[n % len(CHANNELS)], customer_ref=f"cust-{n % 5000}", personal=sealed,
            category="wrong_order", category_source="customer", severity="low", severity_source="classified",
            public=n % 10 == 0, received_at=at, prior_complaints=0, policy_version=version,
            amount_at_stake=Money(amount=Decimal("8.50"), currency="USD")), at, offsets["ComplaintReceived"]))
        offsets["ComplaintReceived"] += 1
        if n % 4 == 0:
            offered = at + timedelta(minutes=3)
            items.append(_item(RecoveryOffered(
                complaint_id=cid, offer_id=f"o-{cid}", remedies=(Remedy(type="apology", description="Sorry."),),
                total=Money(amount=Decimal("0.00"), currency="USD"), apology="We are sorry.", level="front_line",
                authority_limit=Money(amount=Decimal("25.00"), currency="USD"), offered_by="policy",
                reasons=("fair remedy",), follow_up_at=offered + timedelta(days=1),
                respond_by=offered + timedelta(days=2), episode=1, policy_version=version), offered,
                offsets["RecoveryOffered"]))
            offsets["RecoveryOffered"] += 1
        if len(items) >= batch:
            apply_batch(gen, items)
            items = []
    if items:
        apply_batch(gen, items)
    catalog.dispose()
    return ids


def summary(spent: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(spent, 50), 1), "p95_ms": round(percentile(spent, 95), 1),
            "max_ms": round(max(spent), 1), "requests": len(spent)}


def timed_get(client: httpx.Client, url: str, headers: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    reply = client.get(url, headers=headers)
    spent = (time.perf_counter() - started) * 1000
    assert reply.status_code == 200, f"{url}: {reply.status_code} {reply.text[:300]}"
    return spent


def paired(page: httpx.Client, bare: httpx.Client, urls: list[tuple[str, str]],
           headers: dict[str, str]) -> tuple[dict[str, float], dict[str, float]]:
    """(console page, bare read) timings, alternating one of each so both see the same machine load."""
    for console_url, bare_url in urls[:2]:  # warm-up
        timed_get(page, console_url)
        timed_get(bare, bare_url, headers)
    pages, reads = [], []
    for console_url, bare_url in urls:
        pages.append(timed_get(page, console_url))
        reads.append(timed_get(bare, bare_url, headers))
    return summary(pages), summary(reads)


def run_console(run: Run) -> dict[str, Any]:
    folder = run.sub("console")
    cases, requests = run.sizes.console_cases, run.sizes.console_requests
    db = f"sqlite:///{folder}/projections.db"
    started = time.monotonic()
    ids = seed(db, cases)
    seeded_s = round(time.monotonic() - started, 1)
    run.say(f"console: {cases:,} cases seeded in {seeded_s}s")
    key = create_dev_key(folder / "auth-signing-key.pem")
    broker = start_broker()
    try:
        settings = Settings(kafka_bootstrap_servers=broker.bootstrap, broker_profile="tansu")
        ensure_topics(settings)
        env = {**service_env(bootstrap=broker.bootstrap, database_url=f"sqlite:///{folder}/state.db",
                             projections_url=db, vault_url=f"sqlite:///{folder}/vault.db",
                             policy=default_policy_file(),
                             partitions=run.sizes.partitions, auth_key_file=key),
               "COMPLAINTS_AUTH_MODE": "dev", "COMPLAINTS_CONSOLE_DEMO_SIGNIN": "true",
               "COMPLAINTS_CONSOLE_SESSION_SECRET": "bench-console-session-secret-0123"}
        services = Services(env, folder).start("projections")
        services.overrides["console"] = {"COMPLAINTS_CONSOLE_PROJECTIONS_URL": services["projections"].url}
        services.start("console")
        try:
            result = _measure(services, key, ids, requests)
        finally:
            services.stop()
    finally:
        broker.stop()
    result.update(cases=cases, seeded_s=seeded_s)
    run.details["console"] = result
    for page, bare, name in (("queue", "bare_queue", "queue page"), ("case", "bare_case", "case page")):
        p95, ceiling = result[page]["p95_ms"], result[bare]["p95_ms"]
        run.add(Figure(f"Console {name} render p95 ({cases:,} cases in the read model)", f"{p95} ms",
                       ceiling=f"{ceiling} ms (projections' own read)",
                       share=f"{p95 / ceiling:.1f}×" if ceiling else "—",
                       target=f"< {TARGET_MS:.0f} ms", verdict="met" if p95 < TARGET_MS else "missed"))
    return result


def _measure(services: Services, key: Any, ids: list[str], requests: int) -> dict[str, Any]:
    console, api = services["console"].url, services["projections"].url
    rng = random.Random(13)
    sample = [rng.choice(ids) for _ in range(requests)]
    token = issue_dev_token(Settings(auth_dev_key_file=key), Staff(id="ana", level="front_line",
                                                                   roles=frozenset({"agent"})), timedelta(hours=1))
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(timeout=30, follow_redirects=False) as browser, httpx.Client(timeout=30) as client:
        page = browser.get(f"{console}/signin")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf, "the sign-in page has a CSRF token"
        signed = browser.post(f"{console}/signin/demo", data={"csrf": csrf.group(1), "staff_id": "ana"})
        assert signed.status_code == 303, signed.text
        queue_url = f"{api}/complaints?sort=urgency&limit=50&level=front_line&open=true"  # what /queue asks
        queue, bare_queue = paired(browser, client, [(f"{console}/queue", queue_url)] * requests, headers)
        case, bare_case = paired(browser, client, [(f"{console}/cases/{cid}", f"{api}/complaints/{cid}")
                                                   for cid in sample], headers)
    return {"queue": queue, "case": case, "bare_queue": bare_queue, "bare_case": bare_case}
