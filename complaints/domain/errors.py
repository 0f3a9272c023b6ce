"""What a decision refuses with: `DomainError` and its kinds, messages written for the person who asked.

The HTTP shell maps them: `UnknownCase` 404, `CaseClosed` / `NoOpenOffer` 409, the rest 422.
"""

from __future__ import annotations

from schemas.common import Money


class DomainError(Exception):
    """A request the domain refuses; the message is written for the person who asked."""


class UnknownCase(DomainError):
    """No such complaint (or its ComplaintReceived has not arrived yet)."""


class CaseClosed(DomainError):
    """The case is closed; nothing more can happen to it."""


class InvalidEscalation(DomainError):
    """A manual escalation that does not move the case up."""


class InvalidOffer(DomainError):
    """A manual offer that breaks the policy (unknown remedy, charging the customer, wrong level...)."""


class AuthorityExceeded(InvalidOffer):
    """An offer above the authority limit of the level making it."""

    def __init__(self, message: str, *, limit: Money | None, total: Money) -> None:
        super().__init__(message)
        self.limit = limit
        self.total = total


class NoOpenOffer(DomainError):
    """A follow-up answer when no recovery offer is waiting for one."""


class CaseWorkRefused(DomainError):
    """A take / assign / release / reply / close / reopen the case as it stands does not allow (a 409)."""
