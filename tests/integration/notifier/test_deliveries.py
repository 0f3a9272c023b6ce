"""The deliveries table and the sender, on real databases and the real SMTP sink (aiosmtpd)."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from complaints.broker.embedded import free_port
from complaints.domain import load_policy
from complaints.mailsink import start_mail_sink
from complaints.pii import Vault
from complaints.pii.vault import ToSeal
from complaints.settings import ROOT, Settings
from services.customer.links import Links
from services.notifier.case import fold
from services.notifier.plan import emails_for
from services.notifier.sender import Sender
from services.notifier.store import NotifierStore
from tests.integration.notifier.harness import mails
from tests.unit.domain.helpers import complaint

NOW = datetime.now(UTC)
ADDRESS = "eve.private@example.com"


def test_each_message_is_inserted_once_and_claimed_by_one_process_only(db_url: str) -> None:
    one, two = NotifierStore(db_url), NotifierStore(db_url)  # two replicas, one database
    received = complaint("c-claim")
    planned = emails_for(received, "ev-1", NOW)
    assert one.save({}, planned, NOW) == 1
    assert two.save({}, planned, NOW) == 0  # the same event consumed again, elsewhere: nothing new
    [first] = one.due(NOW)
    [same] = two.due(NOW)
    assert [one.claim(first, NOW, timedelta(seconds=20)), two.claim(same, NOW, timedelta(seconds=20))] == [True, False]
    assert two.due(NOW + timedelta(seconds=5)) == []  # claimed: nobody else sends it
    one.finish(first, "sent", NOW)
    assert two.due(NOW + timedelta(minutes=5)) == []  # sent: never again
    [row] = two.listing(None, "email", "c-claim", 10)
    assert (row["status"], row["attempts"]) == ("sent", 1)


def test_a_claim_whose_sender_died_is_taken_over_after_its_lease(db_url: str) -> None:
    store = NotifierStore(db_url)
    store.save({}, emails_for(complaint("c-lease"), "ev-2", NOW), NOW)
    [item] = store.due(NOW)
    assert store.claim(item, NOW, timedelta(seconds=20))  # ... and the process is killed here
    assert store.due(NOW + timedelta(seconds=10)) == []
    [again] = store.due(NOW + timedelta(seconds=21))
    assert again.attempts == 1 and store.claim(again, NOW + timedelta(seconds=21), timedelta(seconds=20))


def settings_for(tmp_path: Path, smtp_port: int) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path}/n.db", vault_url=f"sqlite:///{tmp_path}/v.db",
                    smtp_port=smtp_port, notify_max_attempts=2, notify_retry_base_s=0.05,
                    pii_lookup_secret="s", customer_link_secret="l")  # type: ignore[arg-type]


def sender_with_case(settings: Settings, complaint_id: str, email: str | None) -> tuple[Sender, NotifierStore, Vault]:
    store = NotifierStore(settings.database_url)
    vault = Vault(settings.vault_url, "s")
    [sealed] = vault.seal_many([_to_seal(email, complaint_id)])
    received = complaint(complaint_id, personal=sealed, customer_ref=sealed.key_ref)
    store.save({complaint_id: (fold(None, received, f"ev-{complaint_id}", NOW), 0)},
               emails_for(received, f"ev-{complaint_id}", NOW), NOW)
    links = Links("l", "http://127.0.0.1:1", timedelta(days=1))
    return Sender(settings, store, vault, load_policy(ROOT / "deploy" / "policy.yaml"), links), store, vault


def _to_seal(email: str | None, complaint_id: str) -> ToSeal:
    return ToSeal({"email": email, "id": f"id-{complaint_id}"}, {"email": email, "name": "Eve Private"}, complaint_id)


def statuses(store: NotifierStore, complaint_id: str) -> list[tuple[str, int, str | None]]:
    return [(r["status"], r["attempts"], r["last_error"]) for r in store.listing(None, None, complaint_id, 10)]


def test_the_sender_mails_through_the_sink_with_its_message_id_and_logs_no_address(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    sink = start_mail_sink(tmp_path / "mail", "127.0.0.1", port)
    try:
        sender, store, _ = sender_with_case(settings_for(tmp_path, port), "c-mail", ADDRESS)
        with caplog.at_level(logging.DEBUG):
            assert asyncio.run(sender.round()) == 1
        [msg] = mails(tmp_path / "mail")
        [row] = store.listing(None, None, "c-mail", 10)
        assert msg["To"] == ADDRESS and msg["Message-ID"] == f"<{row['id']}@complaints.example>"
        assert row["status"] == "sent" and "sent" in caplog.text
        ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")  # not the sink's
        assert ADDRESS not in ours and "Eve" not in ours
        assert asyncio.run(sender.round()) == 0 and len(mails(tmp_path / "mail")) == 1
    finally:
        sink.stop()


def test_an_unreachable_mail_server_is_retried_then_dead_lettered_then_retried_by_hand(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there yet
    sender, store, _ = sender_with_case(settings_for(tmp_path, port), "c-down", ADDRESS)
    asyncio.run(sender.round())
    [(status, attempts, error)] = statuses(store, "c-down")
    assert (status, attempts) == ("retry", 1) and error and "SMTP unavailable" in error and ADDRESS not in error
    time.sleep(0.1)
    asyncio.run(sender.round())
    assert [s[:2] for s in statuses(store, "c-down")] == [("dead", 2)]  # the bound: 2 attempts here
    sink = start_mail_sink(tmp_path / "mail", "127.0.0.1", port)
    try:
        [row] = store.listing("dead", None, "c-down", 10)
        assert store.requeue(row["id"], datetime.now(UTC))
        asyncio.run(sender.round())
        assert [s[:2] for s in statuses(store, "c-down")] == [("sent", 1)]
        assert len(mails(tmp_path / "mail")) == 1
    finally:
        sink.stop()


def test_no_address_or_an_erased_customer_is_skipped_with_the_reason(tmp_path: Path) -> None:
    port = free_port()
    sink = start_mail_sink(tmp_path / "mail", "127.0.0.1", port)
    try:
        settings = settings_for(tmp_path, port)
        sender, store, vault = sender_with_case(settings, "c-none", None)
        asyncio.run(sender.round())
        assert statuses(store, "c-none") == [("skipped", 1, "the customer gave no email address")]
        sender, store, vault = sender_with_case(settings, "c-erased", ADDRESS)
        case = store.case("c-erased")
        assert case is not None and case.contact is not None and vault.erase(case.contact.key_ref)
        asyncio.run(sender.round())
        assert statuses(store, "c-erased") == [("skipped", 1, "the customer's personal data was erased")]
        assert mails(tmp_path / "mail") == []
    finally:
        sink.stop()
