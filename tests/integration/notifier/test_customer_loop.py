"""The customer loop, end to end: real services, the real embedded broker, the real SMTP sink.

The sandwich story (seed 004) told to the customer: received → offer with a link → accepted
through the link → "how did it go?" → answered through the link → closed satisfied.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from kafka import KafkaProducer

from complaints.broker.embedded import free_port
from complaints.envelope import encode
from complaints.settings import Settings
from complaints.topics import all_topics, dlq, topic_name
from schemas.events import Escalated, FollowedUp, OfferAccepted, OfferDeclined, OfferFulfilled, RecoveryOffered
from services.customer.links import Links
from services.notifier.replay import rebuild
from tests.integration.notifier.conftest import Loop
from tests.integration.notifier.harness import (
    body,
    deliveries,
    events,
    form_value,
    link_in,
    mails,
    mails_to,
    wait_events,
    wait_mail,
)
from tests.kafka_helpers import Consumed, read_topic, wait_for
from tests.stack import ServiceProcess
from tests.tokens import bearer
from tests.unit.domain.helpers import complaint

SANDWICH: dict[str, object] = {
    "channel": "in_person", "customer": {"name": "Ana Sandwich", "email": "ana.sandwich@example.com"},
    "description": "I got the wrong sandwich", "amount_at_stake": {"amount": "8.50", "currency": "USD"}}


def post(loop: Loop, complaint: dict[str, object]) -> str:
    reply = httpx.post(f"{loop.stack['intake'].url}/complaints", json=complaint, timeout=10)
    assert reply.status_code == 202, reply.text
    return str(reply.json()["complaint_id"])


def test_the_sandwich_story_reaches_the_customer_and_closes_satisfied(loop: Loop) -> None:
    to = "ana.sandwich@example.com"
    cid = post(loop, SANDWICH)
    [received] = wait_mail(loop.mailbox, to, "We have your complaint")
    assert f"Your reference: {cid}" in body(received) and "Dear Ana Sandwich" in body(received)
    assert "You will hear from us within 8 seconds" in body(received)  # the policy's in-person SLA (fast policy)
    [offer_mail] = wait_mail(loop.mailbox, to, "put it right")
    text = body(offer_mail)
    assert "A fresh, correct order, right away." in text and "Something on the house" in text
    for internal in ("front_line", "front line", "authority", "limit", "policy", "triage"):
        assert internal not in text.lower()

    link = link_in(offer_mail)
    page = httpx.get(link, timeout=5)
    assert page.status_code == 200 and "Accept this offer" in page.text and "Decline this offer" in page.text
    assert "ana.sandwich" not in page.text and "Ana" not in page.text  # no personal data on the page
    accepted = httpx.post(f"{link}/accept", data={"offer_id": form_value(page.text, "offer_id")}, timeout=10)
    assert accepted.status_code == 200 and "you accepted our offer" in accepted.text

    offer_id = form_value(page.text, "offer_id")
    given = {"amount": {"amount": "8.50", "currency": "USD"}, "reference": "TILL-3-0042"}
    fulfilled = retry_until(lambda: httpx.post(
        f"{loop.notifier.url}/complaints/{cid}/offers/{offer_id}/fulfilment", json=given, timeout=10,
        headers=bearer(loop.stack.settings, sub="cashier-7")), 202)
    assert len(fulfilled.json()["events"]) == 1

    [follow_up] = wait_mail(loop.mailbox, to, "How did it go?")
    staff = bearer(loop.stack.settings, sub="mgr-1", level="manager")
    worklist = retry_until(lambda: httpx.get(f"{loop.notifier.url}/worklist/follow-ups", timeout=5, headers=staff), 200,
                           lambda r: any(i["complaint_id"] == cid for i in r.json()))
    [item] = [i for i in worklist.json() if i["complaint_id"] == cid]
    assert (item["offer_id"], item["accepted"], item["level"]) == (offer_id, True, "front_line")
    assert link_in(follow_up) == link or link_in(follow_up).startswith(loop.notifier.url)
    deadline = time.monotonic() + 15
    while "Did we put things right?" not in (page := httpx.get(link_in(follow_up), timeout=5)).text:
        assert time.monotonic() < deadline, page.text  # the notifier folds the acceptance, then shows the question
        time.sleep(0.2)
    answered = httpx.post(f"{link_in(follow_up)}/answer", data={"satisfied": "true", "csat": "5",
                                                                "comment": "Lovely, thank you"}, timeout=10)
    assert answered.status_code == 200, answered.text

    [closed] = wait_mail(loop.mailbox, to, "Your complaint is closed")
    assert "glad we could put things right" in body(closed)
    found = [e.event for e in events(loop.stack.settings, cid)]
    kinds = [type(e).__name__ for e in found]
    assert kinds.count("OfferAccepted") == 1 and kinds.count("FollowedUp") == 1, kinds
    [answer] = [e for e in found if isinstance(e, FollowedUp)]
    [acceptance] = [e for e in found if isinstance(e, OfferAccepted)]
    [offer] = [e for e in found if isinstance(e, RecoveryOffered)]
    assert (answer.outcome, answer.csat, answer.recorded_by) == ("satisfied", 5, "customer")
    assert acceptance.offer_id == answer.offer_id == offer.offer_id
    assert len(mails_for(loop, to)) == 4  # received, offer, follow-up, closed: one each
    after = httpx.get(link, timeout=5).text
    assert "Closed: we are glad" in after and "Accept this offer" not in after
    ledger = httpx.get(f"{loop.notifier.url}/ledger", params={"customer_ref": answer_ref(loop, cid)}, timeout=5,
                       headers=staff).json()
    [entry] = ledger["entries"]
    assert (entry["status"], entry["fulfilled"], entry["reference"], entry["fulfilled_by"]) == (
        "fulfilled", "8.50", "TILL-3-0042", "cashier-7")
    assert ledger["totals"]["USD"]["fulfilled"] == "8.50"
    assert httpx.get(f"{loop.notifier.url}/ledger", timeout=5).status_code == 401  # staff only
    assert ledger["totals"]["USD"]["accepted"] == ledger["totals"]["USD"]["offered"] == str(offer.total.amount)
    refused = httpx.post(f"{loop.notifier.url}/complaints/{cid}/offers/{offer_id}/fulfilment",
                         json={**given, "amount": {"amount": "999.00", "currency": "USD"}}, timeout=5, headers=staff)
    assert refused.status_code == 409 and "at most" in refused.text


def test_a_payment_systems_callback_records_the_fulfilment_and_may_do_nothing_else(loop: Loop) -> None:
    to = "gus.payments@example.com"
    cid = post(loop, {**SANDWICH, "customer": {"email": to}})
    link = link_in(wait_mail(loop.mailbox, to, "put it right")[0])
    offer_id = form_value(httpx.get(link, timeout=5).text, "offer_id")
    assert httpx.post(f"{link}/accept", data={"offer_id": offer_id}, timeout=10).status_code == 200
    settings, url = loop.stack.settings, f"{loop.notifier.url}/complaints/{cid}/offers/{offer_id}/fulfilment"
    given = {"amount": {"amount": "8.50", "currency": "USD"}, "reference": "PAY-0077"}

    read_only = httpx.post(url, json=given, timeout=5, headers=bearer(settings, sub="crm-sync", roles=("integration",)))
    assert read_only.status_code == 403 and "offers:fulfil" in read_only.text  # integration stays read-only
    payments = bearer(settings, sub="payments-gw", roles=("fulfilment",))
    retry_until(lambda: httpx.post(url, json=given, timeout=10, headers=payments), 202)
    found = wait_events(settings, cid, lambda kinds: "OfferFulfilled" in kinds)
    [fulfilled] = [e.event for e in found if isinstance(e.event, OfferFulfilled)]
    assert (fulfilled.fulfilled_by, fulfilled.reference, str(fulfilled.amount.amount)) == ("payments-gw", "PAY-0077",
                                                                                          "8.50")
    # that one write, nothing else: no reading the ledger, no offers
    assert httpx.get(f"{loop.notifier.url}/ledger", timeout=5, headers=payments).status_code == 403
    offer = {"remedies": [{"type": "apology"}]}
    made = httpx.post(f"{loop.stack['recovery'].url}/complaints/{cid}/offers", json=offer, timeout=5, headers=payments)
    assert made.status_code == 403


def answer_ref(loop: Loop, complaint_id: str) -> str:
    [received] = [e.event for e in events(loop.stack.settings, complaint_id) if e.event.topic == "ComplaintReceived"]
    return str(received.customer_ref)  # type: ignore[attr-defined]


def retry_until(call: Callable[[], httpx.Response], status: int,
                done: Callable[[httpx.Response], bool] = lambda _: True, timeout: float = 15) -> httpx.Response:
    """The notifier acts on what it has folded: ask again until it has caught up."""
    deadline = time.monotonic() + timeout
    while True:
        reply = call()
        if (reply.status_code == status and done(reply)) or time.monotonic() > deadline:
            assert reply.status_code == status, reply.text
            assert done(reply), reply.text
            return reply
        time.sleep(0.2)


def mails_for(loop: Loop, to: str) -> list[object]:
    return [m for m in mails(loop.mailbox) if m["To"] == to]


def test_a_decline_escalates_one_level_and_brings_a_better_offer(loop: Loop) -> None:
    to = "bo.decline@example.com"
    cid = post(loop, {**SANDWICH, "customer": {"email": to}, "language": "de"})
    [offer_mail] = wait_mail(loop.mailbox, to, "wiedergutmachen")  # their language, when a template exists
    assert offer_mail["Content-Language"] == "de"
    link = link_in(offer_mail)
    page = httpx.get(link, timeout=5).text
    declined = httpx.post(f"{link}/decline", data={"offer_id": form_value(page, "offer_id"),
                                                   "comment": "A cake is not enough"}, timeout=10)
    assert declined.status_code == 200, declined.text
    found = wait_events(loop.stack.settings, cid, lambda kinds: kinds.count("RecoveryOffered") == 2)
    first, second = [e.event for e in found if isinstance(e.event, RecoveryOffered)]
    [raised] = [e.event for e in found if isinstance(e.event, Escalated)]
    [unhappy] = [e.event for e in found if isinstance(e.event, FollowedUp)]
    assert [type(e.event) for e in found if isinstance(e.event, OfferDeclined)] == [OfferDeclined]
    assert (first.level, raised.level, second.level) == ("front_line", "supervisor", "supervisor")
    assert (unhappy.outcome, unhappy.recorded_by, unhappy.offer_id) == ("unsatisfied", "customer", first.offer_id)
    assert unhappy.comment is not None  # the customer's words travel sealed
    second_mail = wait_mail(loop.mailbox, to, "wiedergutmachen", count=2)[1]
    assert "Angebot annehmen" in httpx.get(link_in(second_mail), timeout=5).text  # their page, in their language
    again = httpx.post(f"{link}/decline", data={"offer_id": first.offer_id}, timeout=10)
    assert again.status_code == 409 and "no longer open" in again.text


def test_links_that_are_tampered_or_foreign_get_a_clear_page(loop: Loop) -> None:
    cid = post(loop, {**SANDWICH, "customer": {"email": "cy.links@example.com"}})
    link = link_in(wait_mail(loop.mailbox, "cy.links@example.com", "put it right")[0])
    tampered = httpx.get(link[:-3] + ("abc" if not link.endswith("abc") else "xyz"), timeout=5)
    assert tampered.status_code == 404 and "This link does not work" in tampered.text
    assert "Traceback" not in tampered.text and cid not in tampered.text
    refused = httpx.post(f"{loop.notifier.url}/c/not-a-token/accept", data={"offer_id": "x"}, timeout=5)
    assert refused.status_code == 404 and "This link does not work" in refused.text


def test_webhooks_are_signed_retried_after_failures_and_delivered_once_each(loop: Loop) -> None:
    cid = post(loop, {**SANDWICH, "customer": {"email": "di.hooks@example.com"}})
    wait_events(loop.stack.settings, cid, lambda kinds: "RecoveryOffered" in kinds)
    ids = {e.id for e in events(loop.stack.settings, cid)}
    deadline = time.monotonic() + 30
    while True:
        sent = [d for d in deliveries(loop.stack.settings, loop.notifier.url, channel="webhook:crm", complaint_id=cid)
                if d["status"] == "sent"]
        if len(sent) == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert {d["cause_id"] for d in sent} == ids
    got = loop.receiver.received
    assert got and all(r["verified"] for r in got)
    assert [r["answered"] for r in got[:2]] == [500, 500]  # the first two failed ...
    retried = {r["id"] for r in got[:2]}
    assert all(any(r["id"] == rid and r["answered"] == 200 for r in got) for rid in retried)  # ... and came again
    ok = [r for r in got if r["answered"] == 200]
    assert len({r["id"] for r in ok}) == len(ok)  # one success per delivery id
    for r in ok:
        assert "personal" not in r["body"]["data"] and r["body"]["type"].startswith("complaints.")


def message_ids(loop: Loop, addresses: list[str]) -> Counter[str]:
    """Copies per Message-ID of the mails to these addresses (the loop's mailbox is shared by its tests)."""
    return Counter(str(m["Message-ID"]) for m in mails(loop.mailbox) if m["To"] in addresses)


def delivery_id(message_id: str) -> str:
    return message_id.strip("<>").split("@", 1)[0]  # Message-ID is <delivery id@sender domain>


def test_a_killed_and_restarted_notifier_loses_nothing_and_sends_nothing_twice(loop: Loop) -> None:
    addresses = [f"kill{i}@example.com" for i in range(5)]
    for to in addresses:
        post(loop, {**SANDWICH, "customer": {"email": to}})
    wait_mail(loop.mailbox, addresses[0], "We have your complaint")
    loop.notifier.stop(signal.SIGKILL)  # mid-stream: later records not yet consumed, offsets not committed
    loop.notifier.start().wait_ready()
    for to in addresses:  # a message claimed by the killed process goes out once its claim lapses (20 s)
        wait_mail(loop.mailbox, to, "We have your complaint", timeout=60)
        wait_mail(loop.mailbox, to, "put it right", timeout=60)
    deadline = time.monotonic() + 30  # rows are marked sent just after the server accepted the mail
    while True:
        before = message_ids(loop, addresses)
        sent = {d["id"]: d["attempts"] for d in deliveries(loop.stack.settings, loop.notifier.url, status="sent")}
        if all(delivery_id(m) in sent for m in before) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    # The one gap (docs/notifications.md): a mail the server accepted from the killed process before
    # its row said `sent` goes again once the claim lapses, with the same Message-ID; nothing else.
    again = {m: n for m, n in before.items() if n > 1}
    assert all(n == 2 and sent[delivery_id(m)] == 2 for m, n in again.items()), (again, sent)
    loop.notifier.stop()  # and a clean restart: the consumer starts again from its committed offsets
    loop.notifier.start().wait_ready()
    time.sleep(3)
    after = message_ids(loop, addresses)  # a later mail (the follow-up) may come now, once
    assert set(after) >= set(before) and all(n == before.get(m, 1) for m, n in after.items()), after.most_common(3)
    attempts = {d["id"]: d["attempts"] for d in deliveries(loop.stack.settings, loop.notifier.url) if d["id"] in sent}
    assert attempts == sent  # not one more attempt at anything already sent


def test_with_two_replicas_in_the_group_each_message_is_sent_once(loop: Loop) -> None:
    first = loop.notifier
    second = ServiceProcess("notifier", free_port(), first.env, loop.logs / "notifier-2.log").start().wait_ready()
    try:
        addresses = [f"twin{i}@example.com" for i in range(6)]
        for to in addresses:
            post(loop, {**SANDWICH, "customer": {"email": to}})
        for to in addresses:
            assert len(wait_mail(loop.mailbox, to, "We have your complaint", timeout=60)) == 1
            assert len(wait_mail(loop.mailbox, to, "put it right", timeout=60)) == 1
        time.sleep(2)  # anything sent twice would have arrived by now
        counts = message_ids(loop, addresses)
        assert all(n == 1 for n in counts.values()), counts.most_common(3)
    finally:
        second.stop()


def test_an_old_event_is_folded_but_mails_no_one(loop: Loop) -> None:
    """A new notifier database on an old log must not mail the past (COMPLAINTS_NOTIFY_MAX_EVENT_AGE_H)."""
    settings = loop.stack.settings
    old = complaint("c-history", received_at=datetime.now(UTC) - timedelta(days=3))
    record = encode(old, event_id="ev-history", source="/complaints/intake", time=datetime.now(UTC) - timedelta(days=3))
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    producer.send(topic_name(settings, record.topic), record.value, key=record.key, headers=record.headers).get(10)
    producer.close()
    link = Links("test-link-secret", loop.notifier.url, timedelta(days=1)).url("c-history")
    retry_until(lambda: httpx.get(link, timeout=5), 200, lambda r: "Reference: c-history" in r.text)  # folded
    listed = deliveries(loop.stack.settings, loop.notifier.url, complaint_id="c-history")
    caused = [d for d in listed if d["cause_id"] == "ev-history"]
    assert caused == []  # (the workers' fresh reactions to it are news, and are told as usual)


def test_a_bad_record_is_dead_lettered_and_the_next_one_still_notified(loop: Loop) -> None:
    settings = loop.stack.settings
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    headers = [("ce_id", b"bad-1"), ("ce_source", b"/elsewhere"), ("ce_type", b"complaints.ComplaintReceived.v1"),
               ("ce_specversion", b"1.0"), ("content-type", b"application/json")]
    producer.send(topic_name(settings, "ComplaintReceived"), b"{not json", key=b"c-bad", headers=headers).get(10)
    producer.close()
    post(loop, {**SANDWICH, "customer": {"email": "fay.after@example.com"}})
    wait_mail(loop.mailbox, "fay.after@example.com", "We have your complaint")
    parked = retry_records(settings, dlq("ComplaintReceived"),
                           lambda r: r.headers.get("dlq_service") == b"notifier" and r.key == b"c-bad")
    assert parked.headers["dlq_origin_topic"] == topic_name(settings, "ComplaintReceived").encode()


def retry_records(settings: Settings, topic: str, match: Callable[[Consumed], bool]) -> Consumed:
    found = wait_for(settings, topic, lambda records: any(match(r) for r in records))
    return next(r for r in found if match(r))


def test_the_ledger_rebuilt_from_the_topics_equals_the_live_one(loop: Loop, tmp_path: Path) -> None:
    live: list[dict[str, object]] = []
    rebuilt: list[dict[str, object]] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the live notifier may still be folding the last events
        live = httpx.get(f"{loop.notifier.url}/ledger", timeout=5,
                         headers=bearer(loop.stack.settings, sub="lead-1", roles=("lead",))).json()["entries"]
        store = rebuild(loop.stack.settings, f"sqlite:///{tmp_path}/rebuilt-{time.monotonic_ns()}.db", idle=0.5)
        rebuilt = [e.model_dump(mode="json") for e in store.ledger()]
        if live == rebuilt:
            break
        time.sleep(0.5)
    assert len(live) >= 8 and {e["status"] for e in live} >= {"fulfilled", "declined", "offered"}
    assert live == rebuilt
    assert store.deliveries_count() == 0  # a rebuild plans (and sends) nothing


def test_no_contact_detail_appears_in_any_log_or_topic(loop: Loop) -> None:
    """Run last in this module: everything the customers above told us, searched everywhere it must not be."""
    secrets = [b"ana.sandwich@example.com", b"Ana Sandwich", b"bo.decline@example.com", b"cy.links@example.com",
               b"di.hooks@example.com", b"kill0@example.com", b"A cake is not enough", b"Lovely, thank you"]
    logs = b"".join(path.read_bytes() for path in loop.logs.glob("*.log"))
    assert b"delivery " in logs and b": sent" in logs, "the notifier logged no delivery"
    listing = json.dumps(deliveries(loop.stack.settings, loop.notifier.url)).encode()
    hooks = json.dumps(loop.receiver.received).encode()
    records = [r for t in all_topics() for r in read_topic(loop.stack.settings, t, idle=0.3)]
    assert len(records) > 20
    topics = b"".join((r.value or b"") + b"".join(k.encode() + v for k, v in r.headers.items()) for r in records)
    for secret in secrets:
        for name, haystack in (("logs", logs), ("deliveries", listing), ("webhooks", hooks), ("topics", topics)):
            assert secret.lower() not in haystack.lower(), f"{secret!r} found in {name}"


def _case_work(loop: Loop, cid: str, action: str, body_: dict[str, object]) -> None:
    url = f"{loop.stack['followup'].url}/complaints/{cid}/{action}"
    deadline = time.monotonic() + 15
    while True:  # until the follow-up worker knows the case
        reply = httpx.post(url, json=body_, headers=bearer(loop.stack.settings, "sup-1", level="supervisor"),
                           timeout=10)
        if reply.status_code != 404 or time.monotonic() > deadline:
            assert reply.status_code == 202, reply.text
            return
        time.sleep(0.2)


def test_a_staff_reply_reaches_the_customer_once_and_an_abuse_closure_sends_nothing(loop: Loop) -> None:
    to, spam = "rita.reply@example.com", "spam.sender@example.com"
    person = {"channel": "email", "wants_human": True, "description": "Please call me about my order"}
    cid = post(loop, {**person, "customer": {"name": "Rita", "email": to}})
    _case_work(loop, cid, "replies", {"message": "Dear Rita, I will call you at 3 pm today. Sam"})
    [reply] = wait_mail(loop.mailbox, to, "About your complaint")
    assert "I will call you at 3 pm today" in body(reply) and f"Your reference: {cid}" in body(reply)
    _case_work(loop, cid, "close", {"reason": "resolved"})
    [closed] = wait_mail(loop.mailbox, to, "Your complaint is closed")
    assert "resolved" in body(closed) and "not heard back" not in body(closed)
    spam_id = post(loop, {**person, "description": "CHEAP WATCHES", "customer": {"email": spam}})
    _case_work(loop, spam_id, "close", {"reason": "abuse"})
    wait_mail(loop.mailbox, spam, "We have your complaint")
    time.sleep(3.0)
    assert len(mails_to(loop.mailbox, to)) == 3, "received, the reply, closed: once each"
    [only] = mails_to(loop.mailbox, spam)
    assert str(only["Subject"]).startswith("We have your complaint"), "an abuse closure tells nobody"
