"""The fair remedy: the policy's standard recovery for a case, priced in the case's currency."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from complaints.domain.case import CaseFacts
from complaints.domain.policy import Policy, RemedyItem
from complaints.domain.trusted import trusted
from complaints.domain.wording import LEVEL_LABELS, show, words
from schemas.common import MAX_AMOUNT, Level, Money
from schemas.events import Remedy

CENT = Decimal("0.01")


def money(amount: Decimal, currency: str) -> Money:
    """An amount in `currency`, rounded half up to the cent.

    A computed amount beyond what the contract's `Money` can hold (a factor times a huge declared
    amount, many remedies added up) is stated as that bound: far above every authority either way,
    so it is refused or escalated as such, never a crash.
    """
    # Bounded and rounded here, from non-negative amounts (the policy's, checked when it is loaded, and a
    # validated amount at stake) in a validated currency: built without re-validation (the hot path).
    return trusted(Money, {"amount": min(amount, MAX_AMOUNT).quantize(CENT, rounding=ROUND_HALF_UP),
                           "currency": currency})

#: Remedies given in kind: kept without an amount when the amount at stake is unknown.
IN_KIND = frozenset({"replacement", "repair", "free_product", "expedited_service"})
DEFAULT_APOLOGY_ITEM = "A sincere apology, at once and without excuses."


_DEFAULT_APOLOGY = RemedyItem(type="apology", description=DEFAULT_APOLOGY_ITEM)


class FairRemedy(BaseModel):
    model_config = ConfigDict(frozen=True)

    remedies: tuple[Remedy, ...]
    total: Money
    notes: tuple[str, ...] = ()


def case_currency(facts: CaseFacts, policy: Policy) -> str:
    stake = facts.amount_at_stake
    return stake.currency if stake is not None else policy.recovery.default_currency


def fair_remedy(facts: CaseFacts, episode: int, policy: Policy) -> FairRemedy:
    """Apology first, then the category's recipe; later episodes add the reopen gesture."""
    recovery = policy.recovery
    currency = case_currency(facts, policy)
    items = list(policy.recipe(facts.category).items)
    if episode > 1:
        items += recovery.reopen.extra
    if not any(item.type == "apology" for item in items):
        items.insert(0, _DEFAULT_APOLOGY)
    multiplier = recovery.reopen.gesture_multiplier ** (episode - 1)
    remedies: list[Remedy] = []
    notes: list[str] = []
    for item in items:
        amount = _price(item, facts, currency, multiplier, policy)
        if isinstance(amount, str):
            notes.append(amount)
            continue
        remedies.append(trusted(Remedy, {"type": item.type, "amount": amount, "description": item.description}))
    total = sum((r.amount.amount for r in remedies if r.amount is not None), Decimal(0))
    # every part comes from the validated policy and `money`: built without re-validation (the what-if's hot path)
    return trusted(FairRemedy, {"remedies": tuple(remedies), "total": money(total, currency), "notes": tuple(notes)})


def _price(
    item: RemedyItem, facts: CaseFacts, currency: str, multiplier: Decimal, policy: Policy
) -> Money | str | None:
    """The item's amount, None for no amount, or a note explaining why the item is left out."""
    if item.basis == "none":
        return None
    if item.basis == "gesture":
        gesture = policy.recovery.gesture.get(currency)
        if gesture is None:
            return f"No gesture amount in {currency} in the policy: the {words(item.type)} is left out."
        return money(gesture * item.factor * multiplier, currency)
    stake = facts.amount_at_stake
    if stake is not None:
        return money(stake.amount * item.factor, currency)
    if item.type in IN_KIND:
        return None
    return f"The amount at stake is unknown: the {words(item.type)} is left out."


def declared_above_cap(facts: CaseFacts, policy: Policy) -> str | None:
    """Why no automatic offer may rest on the amount the customer declared, or None when one may.

    Intake verifies nothing a customer declares: a fair remedy priced from the amount at stake is
    offered automatically only up to the policy's `recovery.declared_auto_max`.
    """
    stake, cap = facts.amount_at_stake, policy.recovery.declared_auto_max
    if stake is None or cap is None or not any(i.basis == "at_stake" for i in policy.recipe(facts.category).items):
        return None
    limit = cap.get(stake.currency)
    if limit is not None and stake.amount <= limit:
        return None
    allowed = f"the {show(money(limit, stake.currency))}" if limit is not None else f"any amount in {stake.currency}"
    return (f"The customer declares {show(stake)} at stake, above {allowed} an automatic offer may rest on: "
            "a person checks the claim and decides the offer.")


def apology_text(facts: CaseFacts, level: Level, policy: Policy) -> str:
    template = policy.recipe(facts.category).apology or policy.recovery.apology
    text = template.format(issue=words(facts.category), channel=words(facts.channel), level=LEVEL_LABELS[level])
    return text[:2000]


def describe(remedy: FairRemedy) -> str:
    """E.g. `apology + replacement USD 8.50 + free product USD 5.00 (total USD 13.50)`."""
    parts = [words(r.type) + (f" {show(r.amount)}" if r.amount else "") for r in remedy.remedies]
    return f"{' + '.join(parts)} (total {show(remedy.total)})"
