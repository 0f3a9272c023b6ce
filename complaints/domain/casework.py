"""Staff case work, decided (pure): take / assign / release, reply, note, close, reopen.

Each decision is `(state, request, now) -> [Emit]` on the workers' case state; `now` is the
request's time and goes into the event (`at`), so the folds never read a clock. Event ids are
deterministic in the request id (the `Idempotency-Key`): a retry answers with the same ids, and
every consumer drops the copy. Refusals are `DomainError`s written for the person who asked.
"""

from __future__ import annotations

from datetime import datetime

from complaints.domain.case import CaseState
from complaints.domain.emit import Emit
from complaints.domain.errors import CaseWorkRefused, UnknownCase
from complaints.domain.policy import Policy
from complaints.ids import deterministic_id
from schemas.common import CloseReason, Sealed
from schemas.events import CaseAssigned, CaseReopened, CustomerReplied, Event, NoteAdded
from schemas.events import CaseClosed as Closed


def work_id(kind: str, complaint_id: str, request_id: str) -> str:
    """The event id of one staff action (`kind`: the event's name)."""
    return deterministic_id(kind, complaint_id, request_id)


def retried(state: CaseState | None, event_id: str) -> bool:
    """Was this action already done (a retry with the same request id)? Then it is answered, not refused."""
    return state is not None and event_id in state.applied


def require_case(state: CaseState | None, *, open_only: bool = True) -> CaseState:
    """The case, refused when unknown (404) or, for `open_only`, closed (409, like every refusal of case work:
    a `CaseWorkRefused`, so the answer always carries `message` and the field)."""
    if state is None or state.facts is None:
        raise UnknownCase("There is no such complaint (or it has not been received yet).")
    if open_only and state.closed:
        raise CaseWorkRefused(f"Complaint {state.complaint_id} is closed; reopen it first.")
    return state


def take(state: CaseState | None, *, by: str, now: datetime, request_id: str) -> list[Emit]:
    """The caller takes the case from the queue (refused when someone else already has it)."""
    event_id = work_id("CaseAssigned", _cid(state), request_id)
    if not retried(state, event_id):
        case = require_case(state)
        if case.assignee == by:
            raise CaseWorkRefused(f"Complaint {case.complaint_id} is already yours.")
        if case.assignee is not None:
            raise CaseWorkRefused(f"Complaint {case.complaint_id} is assigned to {case.assignee}; assign it "
                                  "instead to take it over.")
    return _assigned(state, by, by, now, event_id, request_id)


def assign(state: CaseState | None, *, assignee: str, by: str, now: datetime, request_id: str) -> list[Emit]:
    """Give the case to `assignee` (also to take it over from someone else)."""
    event_id = work_id("CaseAssigned", _cid(state), request_id)
    if not retried(state, event_id):
        case = require_case(state)
        if case.assignee == assignee:
            raise CaseWorkRefused(f"Complaint {case.complaint_id} is already assigned to {assignee}.")
    return _assigned(state, assignee, by, now, event_id, request_id)


def release(state: CaseState | None, *, by: str, now: datetime, request_id: str) -> list[Emit]:
    """Put the case back in the queue, unassigned."""
    event_id = work_id("CaseAssigned", _cid(state), request_id)
    if not retried(state, event_id):
        case = require_case(state)
        if case.assignee is None:
            raise CaseWorkRefused(f"Complaint {case.complaint_id} is not assigned to anyone.")
    return _assigned(state, None, by, now, event_id, request_id)


def reply(state: CaseState | None, *, message: Sealed, by: str, now: datetime, request_id: str) -> list[Emit]:
    """Answer the customer without money: this episode's first response for the SLA (`lifecycle`)."""
    event_id = work_id("CustomerReplied", _cid(state), request_id)
    case = state if retried(state, event_id) and state is not None else require_case(state)
    return _emit(CustomerReplied(complaint_id=case.complaint_id, episode=case.episode, at=now, message=message,
                                 level=case.level, replied_by=by), event_id, request_id)


def note(state: CaseState | None, *, text: Sealed, by: str, now: datetime, request_id: str) -> list[Emit]:
    """An internal note (on a closed case too)."""
    case = require_case(state, open_only=False)
    event_id = work_id("NoteAdded", case.complaint_id, request_id)
    return _emit(NoteAdded(complaint_id=case.complaint_id, episode=case.episode, at=now, text=text, added_by=by),
                 event_id, request_id)


def close(state: CaseState | None, *, reason: CloseReason, duplicate_of: str | None, by: str, now: datetime,
          request_id: str) -> list[Emit]:
    """Close without an offer: any open offer is withdrawn, timers stop, nothing is charged or given."""
    event_id = work_id("CaseClosed", _cid(state), request_id)
    retry = retried(state, event_id)
    case = state if retry and state is not None else require_case(state)
    if (reason == "duplicate") != (duplicate_of is not None):
        raise CaseWorkRefused("duplicate_of names the original complaint, with reason duplicate only.")
    if duplicate_of == case.complaint_id:
        raise CaseWorkRefused("A complaint cannot be a duplicate of itself.")
    offer = case.open_offer.offer_id if case.open_offer is not None and not retry else None
    why = [{"resolved": f"{by} closed the case as resolved, without an offer.",
            "duplicate": f"{by} closed the case as a duplicate of complaint {duplicate_of}.",
            "abuse": f"{by} closed the case as abuse: no offer, no escalation."}[reason]]
    if offer is not None:
        why.append(f"The open offer {offer} is withdrawn.")
    return _emit(Closed(complaint_id=case.complaint_id, episode=case.episode, at=now, reason=reason,
                        duplicate_of=duplicate_of, withdrawn_offer=offer, closed_by=by, reasons=tuple(why)),
                 event_id, request_id)


def reopen(state: CaseState | None, *, reason: str, by: str, policy: Policy, now: datetime,
           request_id: str) -> list[Emit]:
    """Reopen a closed case: a new episode at its level, its first response due per the policy from now."""
    event_id = work_id("CaseReopened", _cid(state), request_id)
    retry = retried(state, event_id)
    case = require_case(state, open_only=False)
    if not case.closed and not retry:
        raise CaseWorkRefused(f"Complaint {case.complaint_id} is open; only a closed case can be reopened.")
    if not reason.strip():
        raise CaseWorkRefused("A reopen needs a reason.")
    assert case.facts is not None
    facts = case.facts
    due = policy.first_response_due(now, facts.channel, facts.severity, facts.public)
    episode = case.episode if retry else case.episode + 1
    event = CaseReopened(complaint_id=case.complaint_id, episode=episode, at=now, reason=reason.strip(),
                         level=case.level, first_response_due_at=due, reopened_by=by, policy_version=policy.policy_id)
    return _emit(event, event_id, request_id)


def _cid(state: CaseState | None) -> str:
    return state.complaint_id if state is not None else ""


def _assigned(state: CaseState | None, assignee: str | None, by: str, now: datetime, event_id: str,
              request_id: str) -> list[Emit]:
    case = require_case(state, open_only=False)
    return _emit(CaseAssigned(complaint_id=case.complaint_id, episode=case.episode, at=now, assignee=assignee,
                              assigned_by=by), event_id, request_id)


def _emit(event: Event, event_id: str, request_id: str) -> list[Emit]:
    return [Emit(event, event_id, request_id)]
