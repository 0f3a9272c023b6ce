"""Authority from identity (pure): whether a member of staff may act on a case, and what to say if not.

The level and department come from the verified token, never from a request body. The authority
limits themselves are the policy's (`Policy.authority`, checked by the domain's decisions): this
module only turns the domain's `AuthorityExceeded` into a refusal that names the level that could.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from complaints.auth.staff import Staff
from complaints.domain.case import CaseState
from complaints.domain.emit import Emit
from complaints.domain.errors import AuthorityExceeded, DomainError
from complaints.domain.levels import rank
from complaints.domain.policy import Policy
from complaints.domain.wording import LEVEL_LABELS, show, words
from schemas.common import Department, Level

Decide = Callable[[CaseState | None], Sequence[Emit]]


class NotPermitted(Exception):
    """The caller is who they say, but this is outside their authority (a 403)."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


def refusal(staff: Staff, level: Level, department: Department | None) -> NotPermitted | None:
    """Why `staff` may not act on a case owned at `level` (by `department`), or None when they may."""
    if rank(staff.level) < rank(level):
        return NotPermitted(
            f"The case is with {LEVEL_LABELS[level]}; a {words(staff.level)} token cannot act on it.",
            level=staff.level, case_level=level)
    at_department = level == "department" and staff.level == "department"  # an executive is above them all
    if at_department and department is not None and department not in staff.departments:
        mine = ", ".join(sorted(staff.departments)) or "none"
        return NotPermitted(
            f"The case is with the {words(department)} department: acting on it needs a token of that "
            f"department (this token's departments: {mine}).", department=department)
    return None


def over_authority(exc: AuthorityExceeded, level: Level, policy: Policy) -> NotPermitted:
    """An offer above the caller's limit: the domain's reason, plus the lowest level that could make it."""
    could = policy.covering_level(exc.total, level)
    limit = show(policy.authority(could, exc.total.currency)) if could else None
    who = f"{LEVEL_LABELS[could]} (authority {limit}) could make it." if could else "No level's authority covers it."
    return NotPermitted(f"{exc} {who[0].upper()}{who[1:]}", level=level,
                        limit=None if exc.limit is None else exc.limit.model_dump(mode="json"),
                        total=exc.total.model_dump(mode="json"), could_be_made_by=could)


def acting_as(staff: Staff, decide: Decide, policy: Policy) -> Decide:
    """`decide`, refused unless `staff` may act on the case as it stands.

    A retry of an action already done (same idempotency key: every event it emits is already applied)
    answers as the first time did, even though the case has since moved (e.g. above the caller's level).
    """

    def guarded(state: CaseState | None) -> Sequence[Emit]:
        problem = None
        if state is not None and state.facts is not None:
            problem = refusal(staff, state.level, state.department)
        try:
            emits = decide(state)
        except AuthorityExceeded as exc:
            raise (problem or over_authority(exc, staff.level, policy)) from None
        except DomainError:
            if problem is not None:
                raise problem from None
            raise
        if problem is not None and not (state is not None and emits and all(e.event_id in state.applied
                                                                               for e in emits)):
            raise problem
        return emits

    return guarded
