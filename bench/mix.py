"""Realistic complaint mixes, and what the policy will do with each complaint.

The shares below are the bench's model of a consumer business's complaint traffic
(documented in RESULTS.md): mostly web, email, phone and chat; a social share that is
mostly public; customers who give a category or severity only some of the time (intake
classifies the rest); money at stake in most cases; a few who ask for a person; some
repeat customers; and, after an offer, a share of customers who answer — some unhappy.

`expected_offer()` runs the pure domain (triage, escalation, recovery) on the complaint, so
the bench knows which complaints get an automatic `RecoveryOffered` under the policy
(the rest wait for a person: department, executive, public or "asks for a person" cases).
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from complaints.domain import escalation, recovery
from complaints.domain.case import evolve
from complaints.domain.intake import build_received, classify_category, received_event_id
from complaints.domain.policy import Policy
from complaints.envelope import Record, encode
from schemas.common import Money, Sealed
from schemas.events import ComplaintReceived

CHANNELS = {"web": 30, "email": 20, "phone": 15, "chat": 15, "social": 12, "in_person": 8}
PUBLIC_SHARE = {"social": 0.7}  # other channels: OTHER_PUBLIC
OTHER_PUBLIC = 0.02
GIVES_CATEGORY = 0.6
GIVES_SEVERITY = 0.4
SEVERITIES = {"low": 40, "medium": 35, "high": 20, "critical": 5}
CATEGORIES = {"wrong_order": 18, "product_defect": 16, "billing": 14, "delivery": 18, "staff_conduct": 6,
              "wait_time": 12, "privacy": 2, "policy": 4, "other": 10}
WANTS_HUMAN = 0.05
HAS_AMOUNT = 0.6
CURRENCIES = {"USD": 80, "EUR": 15, "GBP": 5}
REPEAT_CUSTOMER = 0.1
IDEMPOTENCY_KEY = 0.3
#: After an offer: the share of customers who answer, and of those, the share unhappy.
ANSWERS = 0.4
UNHAPPY_OF_ANSWERS = 0.25

DESCRIPTIONS = {
    "wrong_order": ["I got the wrong sandwich, not what I ordered: {x}.",
                    "Wrong item in my order {o}, instead of {x}."],
    "product_defect": ["The {x} I bought is broken after two days.", "My {x} stopped working; it looks faulty."],
    "billing": ["I was charged twice for {o}; please refund the second payment.",
                "The invoice for {o} shows a charge I never agreed to."],
    "delivery": ["My parcel {o} was delivered three days late.", "The courier says the package was delivered but it "
                 "never arrived."],
    "staff_conduct": ["The cashier was rude to me and shouted when I asked about {x}.",
                      "A staff member was dismissive and rude at the counter."],
    "wait_time": ["I waited 45 minutes in the queue and nobody helped.", "On hold for two hours about {o}."],
    "privacy": ["You shared my personal data with a third party without asking.",
                "There was a leak: my data appeared in someone else's account."],
    "policy": ["I was fined under a policy nobody told me about.", "Your terms changed and I got a penalty."],
    "other": ["Nothing went as promised with {x}, and nobody answers my messages.",
              "The experience was disappointing from start to finish."],
}
THINGS = ["blender", "chicken wrap", "headphones", "winter coat", "coffee machine", "phone case", "salad", "lamp"]
#: Prices at stake: mostly small, a long tail into the hundreds (median about 25).
PRICES = [f"{p:.2f}" for p in (4.5, 6.99, 8.5, 9.99, 12.5, 14.99, 18, 19.99, 24.99, 29.9, 35, 39.99, 49.99, 59,
                                 74.5, 89.99, 120, 149, 199.99, 249, 320, 450, 640, 899)]
FILLER = (" I have been a customer for years and this is not the service I expect."
          " Please look into it and tell me what you will do.")


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass(frozen=True)
class Complaint:
    """One request body for `POST /complaints`, its headers, and what the policy will do with it."""

    body: dict[str, Any]
    idempotency_key: str | None
    offer_expected: bool
    answer: str | None  # "satisfied", "unsatisfied" or None (no answer)

    def json(self) -> bytes:
        return json.dumps(self.body, separators=(",", ":")).encode()


class Mix:
    """A seeded stream of complaints in the bench's mix."""

    def __init__(self, policy: Policy, seed: int = 7, run: str = "", predict: bool = True) -> None:
        self.policy = policy
        self.predict = predict  # work out `offer_expected` (costs time; intake's own figures do not need it)
        self.rng = random.Random(seed)
        self.run = run or uuid.uuid4().hex[:8]
        self.customers: list[dict[str, str]] = []
        self.n = 0
        self._offers: dict[tuple[Any, ...], bool] = {}

    def _customer(self) -> dict[str, str]:
        rng = self.rng
        if self.customers and rng.random() < REPEAT_CUSTOMER:
            return dict(rng.choice(self.customers))
        n = len(self.customers)
        kind = rng.random()
        if kind < 0.4:
            customer = {"id": f"{self.run}-c{n}"}
        elif kind < 0.8:
            customer = {"email": f"c{n}.{self.run}@example.com"}
        else:
            customer = {"phone": f"+1 555 {n % 10_000_000:07d}"}
        if rng.random() < 0.5:
            customer["name"] = rng.choice(["Ana", "Bo", "Chen", "Dee", "Eli", "Femi"]) + " Example"
        self.customers.append(customer)
        return customer

    def complaint(self) -> Complaint:
        rng = self.rng
        self.n += 1
        channel = _pick(rng, CHANNELS)
        category = _pick(rng, CATEGORIES)
        order = f"ORD-{rng.randrange(10**8):08d}"
        description = rng.choice(DESCRIPTIONS[category]).format(x=rng.choice(THINGS), o=order)
        if rng.random() < 0.5:
            description += FILLER
        customer = self._customer()
        if channel == "social":
            customer = {**customer, "handle": f"@{self.run}_{len(self.customers)}"}
        body: dict[str, Any] = {"channel": channel, "customer": customer, "description": description}
        if rng.random() < GIVES_CATEGORY:
            body["category"] = category
        if rng.random() < GIVES_SEVERITY:
            body["severity"] = _pick(rng, SEVERITIES)
        if rng.random() < PUBLIC_SHARE.get(channel, OTHER_PUBLIC):
            body["public"] = True
        if rng.random() < WANTS_HUMAN:
            body["wants_human"] = True
        if rng.random() < 0.5:
            body["order_ref"] = order
        if rng.random() < HAS_AMOUNT:
            body["amount_at_stake"] = {"amount": rng.choice(PRICES), "currency": _pick(rng, CURRENCIES)}
        key = f"{self.run}-{self.n}" if rng.random() < IDEMPOTENCY_KEY else None
        answer = None
        if rng.random() < ANSWERS:
            answer = "unsatisfied" if rng.random() < UNHAPPY_OF_ANSWERS else "satisfied"
        return Complaint(body, key, self.offer_expected(body) if self.predict else False, answer)

    def offer_expected(self, body: dict[str, Any]) -> bool:
        """`expected_offer` for this body, cached on what decides it (not the customer or the ids)."""
        amount = body.get("amount_at_stake") or {}
        category = body.get("category") or classify_category(body["description"], self.policy)[0]
        key = (body["channel"], category, body.get("category") is None, body.get("severity"),
               body.get("public", False), body.get("wants_human", False), amount.get("amount"), amount.get("currency"))
        found = self._offers.get(key)
        if found is None:
            found = self._offers[key] = expected_offer(self.received(body, "bench-offer-check", self.policy),
                                                        self.policy)
        return found

    def __iter__(self) -> Iterator[Complaint]:
        while True:
            yield self.complaint()

    def take(self, n: int) -> list[Complaint]:
        return [self.complaint() for _ in range(n)]

    @staticmethod
    def received(body: dict[str, Any], complaint_id: str, policy: Policy, prior: int = 0,
                 received_at: datetime | None = None) -> ComplaintReceived:
        """The `ComplaintReceived` intake would publish for this body (personal data sealed by a stand-in)."""
        amount = body.get("amount_at_stake")
        ref = f"cust_{uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(body['customer'], sort_keys=True)).hex}"
        return build_received(
            complaint_id=complaint_id, channel=body["channel"], customer_ref=ref,
            personal=Sealed(key_ref=ref, nonce="YmVuY2gtbm9uY2U=", ciphertext="Y2lwaGVydGV4dC1zdGFuZC1pbg" * 8),
            description=body["description"], category=body.get("category"), severity=body.get("severity"),
            public=body.get("public", False), wants_human=body.get("wants_human", False),
            order_ref=body.get("order_ref"),
            amount_at_stake=Money(amount=Decimal(amount["amount"]), currency=amount["currency"]) if amount else None,
            occurred_at=None, received_at=received_at or datetime.now(UTC), prior_complaints=prior, policy=policy)


def expected_offer(received: ComplaintReceived, policy: Policy) -> bool:
    """Does the policy make an automatic offer for this complaint (from intake, or after its escalation)?"""
    now = received.received_at
    rid = received_event_id(received.complaint_id)
    if recovery.on_event(None, received, rid, policy, now):
        return True
    state = evolve(None, received, rid, now)
    for emit in escalation.on_event(None, received, rid, policy, now):
        if recovery.on_event(state, emit.event, emit.event_id, policy, now):
            return True
    return False


def received_records(policy: Policy, n: int, seed: int = 11, run: str = "",
                     templates: int = 500) -> tuple[list[Record], int]:
    """`n` ComplaintReceived records in the mix, as intake would publish them; and how many get an offer.

    `templates` distinct complaints are built through the domain; the others are copies of
    them with their own complaint id and event id (same byte length), which is much cheaper.
    """
    mix = Mix(policy, seed, run or uuid.uuid4().hex[:8])
    made: list[tuple[Record, bool, str]] = []
    for i in range(min(n, templates)):
        c = mix.complaint()
        cid = _bulk_id(mix.run, i)
        event = Mix.received(c.body, cid, policy)
        made.append((encode(event, event_id=received_event_id(cid), source="/complaints/intake",
                            time=event.received_at), c.offer_expected, cid))
    records: list[Record] = []
    offers = 0
    for i in range(n):
        template, offer, tid = made[i % len(made)]
        offers += offer
        if i < len(made):
            records.append(template)
            continue
        cid = _bulk_id(mix.run, i)
        eid = received_event_id(cid)
        old_eid = template.event_id
        t_id, n_id = tid.encode(), cid.encode()
        headers = [(k, v.replace(t_id, n_id).replace(old_eid.encode(), eid.encode())) for k, v in template.headers]
        records.append(Record(template.topic, n_id, template.value.replace(t_id, n_id), headers, eid))
    return records, offers


def _bulk_id(run: str, i: int) -> str:
    return f"{run}-b{i:08d}"
