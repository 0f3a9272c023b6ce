"""The notifier's pure core: which messages an event causes, whether one is still wanted, their words."""

from __future__ import annotations

from datetime import timedelta

from complaints.domain import Policy, casework, customer
from complaints.ids import deterministic_id
from schemas.common import Sealed
from schemas.events import CaseClosed, CustomerReplied, Escalated, FollowedUp, OfferAccepted, RecoveryOffered
from services.customer.words import page_context
from services.notifier.case import CustomerCase, fold
from services.notifier.plan import (
    delivery_id,
    emails_for,
    follow_up_cause,
    in_words,
    news,
    still_wanted,
    webhooks_for,
)
from services.notifier.render import context, pick_language, render
from tests.unit.domain.helpers import T0, Lifecycle, complaint


def story(policy: Policy) -> tuple[Lifecycle, CustomerCase]:
    """The sandwich case up to its first offer, as the notifier folds it."""
    case = Lifecycle(policy)
    case.receive(complaint())
    folded: CustomerCase | None = None
    for emit in case.log:
        folded = fold(folded, emit.event, emit.event_id, T0)
    assert folded is not None
    return case, folded


def test_each_event_causes_its_emails_once_per_cause(policy: Policy) -> None:
    case, _ = story(policy)
    received, offered = case.log[0], case.log[-1]
    assert [p.kind for p in emails_for(received.event, received.event_id, T0)] == ["received"]
    offer = offered.event
    assert isinstance(offer, RecoveryOffered)
    offer_mail, follow_up = emails_for(offer, offered.event_id, T0)
    assert (offer_mail.kind, offer_mail.cause_id, offer_mail.due_at) == ("offer", offered.event_id, T0)
    assert (follow_up.kind, follow_up.cause_id, follow_up.due_at) == ("follow_up", follow_up_cause(offer.offer_id),
                                                                     offer.follow_up_at)
    assert offer_mail.delivery_id == delivery_id(offered.event_id, "email") != follow_up.delivery_id
    assert emails_for(offer, offered.event_id, T0) == [offer_mail, follow_up]  # the same claims on a redelivery


def test_only_a_closing_follow_up_tells_the_customer_the_case_is_closed() -> None:
    def followed(outcome: str) -> FollowedUp:
        return FollowedUp(complaint_id="c", offer_id="o", outcome=outcome, episode=1, policy_version="v",  # type: ignore[arg-type]
                          recorded_by="customer")

    assert [p.kind for p in emails_for(followed("satisfied"), "f-1", T0)] == ["closed"]
    assert [p.kind for p in emails_for(followed("no_response"), "f-2", T0)] == ["closed"]
    assert emails_for(followed("unsatisfied"), "f-3", T0) == []  # a better offer follows instead
    escalated = Escalated(complaint_id="c", level="supervisor", from_level="front_line", reason="triage",
                          reasons=("x",), sla_due_at=T0, episode=1, policy_version="v")
    assert emails_for(escalated, "e-1", T0) == []


def test_webhooks_carry_every_event_without_its_sealed_fields(policy: Policy) -> None:
    case, _ = story(policy)
    received = case.log[0]
    [hook] = webhooks_for(received.event, received.event_id, "complaints.ComplaintReceived.v1", T0, ["crm"])
    assert hook.channel == "webhook:crm" and hook.payload is not None
    assert '"personal"' not in hook.payload and '"type":"complaints.ComplaintReceived.v1"' in hook.payload
    assert webhooks_for(received.event, received.event_id, "t", T0, []) == []


def test_a_follow_up_request_is_dropped_once_the_offer_is_answered_or_declined(policy: Policy) -> None:
    case, folded = story(policy)
    offer = case.last(RecoveryOffered)
    assert still_wanted(folded, "follow_up", offer.offer_id) is None
    accepted = fold(folded, OfferAccepted(complaint_id="case-1", offer_id=offer.offer_id, episode=1,
                                          recorded_by="customer"), "acc-1", T0)
    assert still_wanted(accepted, "follow_up", offer.offer_id) is None  # accepted: we still ask how it went
    emits = customer.decline(folded.state, offer_id=offer.offer_id, answered=None, comment=None, policy=policy,
                             now=T0)
    declined = folded
    for emit in emits:
        declined = fold(declined, emit.event, emit.event_id, T0)
    assert still_wanted(declined, "follow_up", offer.offer_id) == "the offer was answered or replaced"
    assert still_wanted(declined, "offer", offer.offer_id) is not None
    assert still_wanted(declined, "received", None) is None


def test_fold_is_idempotent_and_keeps_the_first_answer(policy: Policy) -> None:
    _, folded = story(policy)
    offer_id = next(iter(folded.offers))
    accepted = OfferAccepted(complaint_id="case-1", offer_id=offer_id, episode=1, recorded_by="customer")
    once = fold(folded, accepted, "acc-1", T0)
    assert fold(once, accepted, "acc-1", T0) == once
    assert once.answers == {offer_id: "accepted"}
    assert folded.contact is not None and folded.contact.key_ref == "cust-42"  # sealed, as intake wrote it


def test_the_emails_are_in_plain_words_with_the_sla_and_never_internal_terms(policy: Policy) -> None:
    _, folded = story(policy)
    offer_id = next(iter(folded.offers))
    received = render("received", None, context(folded, "received", None, policy, None, "Ana"))
    assert received.subject.startswith("We have your complaint") and "Dear Ana," in received.body
    sla = policy.first_response_sla("in_person", "low", False)
    assert f"within {in_words(sla)}" in received.body
    offer = render("offer", "en-GB", context(folded, "offer", offer_id, policy, "https://x/c/t", None))
    assert "https://x/c/t" in offer.body and "Hello," in offer.body
    for word in ("front_line", "authority", "limit", "policy", "triage", "level"):
        assert word not in offer.body.lower()
    german = render("offer", "de-AT", context(folded, "offer", offer_id, policy, "https://x/c/t", None))
    assert german.language == "de" and german.subject.startswith("So möchten wir")
    assert pick_language("closed", "xx") == "en"


def test_only_news_is_told_history_is_only_folded() -> None:
    hours = timedelta(hours=48)
    assert news(T0, T0 + hours, hours) and not news(T0, T0 + hours + timedelta(seconds=1), hours)


def test_durations_in_words() -> None:
    assert [in_words(timedelta(seconds=s)) for s in (8, 60, 3600, 7200, 86400, 3 * 86400)] == [
        "8 seconds", "1 minute", "1 hour", "2 hours", "24 hours", "3 days"]


def test_the_page_shows_the_offer_then_the_question_never_the_limits(policy: Policy) -> None:
    case, folded = story(policy)
    offer = case.last(RecoveryOffered)
    page = page_context(folded, offer.follow_up_at - timedelta(seconds=1))
    assert page["offer"]["offer_id"] == offer.offer_id and page["follow_up"] is False
    assert "authority" not in str(page) and "front_line" not in str(page) and "cust-42" not in str(page)
    assert page_context(folded, offer.follow_up_at)["follow_up"] is True
    assert page_context(None, T0)["ready"] is False
    assert deterministic_id("OfferAccepted", offer.offer_id)  # ids are stable per offer (see the domain tests)


def test_a_staff_reply_emails_the_customer_once_and_an_abuse_closure_tells_nobody(policy: Policy) -> None:
    _, folded = story(policy)
    assert folded.state is not None
    sealed = Sealed(key_ref="cust-42", nonce="bm9uY2U", ciphertext="c2VhbGVk")
    [emit] = casework.reply(folded.state, message=sealed, by="ana", now=T0, request_id="r-1")
    assert isinstance(emit.event, CustomerReplied)
    [mail] = emails_for(emit.event, emit.event_id, T0)
    assert (mail.kind, mail.cause_id) == ("reply", emit.event_id)
    replied = fold(folded, emit.event, emit.event_id, T0)
    assert replied.replies == {emit.event_id: sealed}, "kept sealed until the sender opens it"
    [hook] = webhooks_for(emit.event, emit.event_id, "complaints.CustomerReplied.v1", T0, ["crm"])
    assert hook.payload is not None and "ciphertext" not in hook.payload
    body = render("reply", None, {**context(replied, "reply", None, policy, None, "Ana"), "message": "On its way"})
    assert "Dear Ana," in body.body and "On its way" in body.body
    for reason, told in (("abuse", []), ("resolved", ["closed"]), ("duplicate", ["closed"])):
        closed = CaseClosed(complaint_id="case-1", episode=1, at=T0, reason=reason, closed_by="ana",  # type: ignore[arg-type]
                            duplicate_of="case-0" if reason == "duplicate" else None)
        assert [p.kind for p in emails_for(closed, f"cl-{reason}", T0)] == told
    [close] = casework.close(replied.state, reason="duplicate", duplicate_of="case-0", by="ana", now=T0,
                             request_id="c-1")
    after = fold(replied, close.event, close.event_id, T0)
    text = render("closed", None, context(after, "closed", None, policy, None, None)).body
    assert "earlier complaint" in text and "not heard back" not in text, "a staff closure never blames the customer"
