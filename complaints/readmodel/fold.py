"""The pure projector: (case, event) -> (case, timeline entry). No I/O.

Events of one case travel on four topics, so they may arrive in any cross-topic order.
The case is therefore defined as the fold of its events in a canonical order,
`sort_key` = (episode, time, type rank, id): the writer applies an event
incrementally when it sorts after the last one applied, and refolds the case
from its timeline otherwise. Live projection and replay agree field for field.

The fold runs on the case's JSON document (`casedoc.advance`); this module gives the
typed view of it (`Case`) for reads, `as_of` and tests.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from complaints.domain.lifecycle import is_breached, overdue
from complaints.envelope import Envelope
from complaints.readmodel.casedoc import Doc, FirstResponse, advance
from complaints.readmodel.model import Case, Sla, TimelineEntry
from complaints.readmodel.order import event_episode, sort_key
from complaints.readmodel.timeline import entry_for

__all__ = ["apply_event", "effective_sla", "fold", "fold_doc", "partition_of", "project"]


def partition_of(position: str) -> tuple[str, int]:
    """'topic:partition:offset' -> ('topic:partition', offset)."""
    head, _, offset = position.rpartition(":")
    return head, int(offset)


def project(case: Case | None, env: Envelope, position: str, first_response: FirstResponse | None = None,
            ) -> tuple[Case, TimelineEntry]:
    """Apply one event to a case (None: a case not seen yet): the new case and the event's timeline entry."""
    return (apply_event(case, env, position, first_response),
            entry_for(env, position, max(event_episode(env.event), 1)))


def apply_event(case: Case | None, env: Envelope, position: str, first_response: FirstResponse | None = None) -> Case:
    """The case after one more event. The input case is never changed."""
    doc = None if case is None else case.model_dump(mode="json")
    return Case.model_validate(advance(doc, env, position, first_response))


def fold_doc(items: Iterable[tuple[Envelope, str]], first_response: FirstResponse | None = None) -> Doc | None:
    """A case document from scratch: its (envelope, position) pairs, folded in canonical order."""
    doc: Doc | None = None
    for env, position in sorted(items, key=lambda item: sort_key(item[0])):
        doc = advance(doc, env, position, first_response)
    return doc


def fold(items: Iterable[tuple[Envelope, str]], first_response: FirstResponse | None = None,
         ) -> tuple[Case | None, list[TimelineEntry]]:
    """A case from scratch: its (envelope, position) pairs in canonical order."""
    ordered = sorted(items, key=lambda item: sort_key(item[0]))
    doc = fold_doc(ordered, first_response)
    entries = [entry_for(env, position, max(event_episode(env.event), 1)) for env, position in ordered]
    return (None if doc is None else Case.model_validate(doc)), entries


class _Stated(Protocol):
    """A case or a queue item: its stored SLA and status."""

    @property
    def sla(self) -> Sla: ...
    @property
    def status(self) -> str: ...


def effective_sla(case: _Stated, now: datetime) -> Sla:
    """The SLA as of `now`: an unanswered obligation is breached from its due time on (`lifecycle.is_breached`);
    so is an unresolved case's running resolution clock (`lifecycle.overdue`)."""
    sla = case.sla
    pending = now if sla.awaiting_response else None
    if not sla.breached and is_breached(sla.due_at, sla.responded_at, False, pending):
        sla = sla.model_copy(update={"breached": True})
    if not sla.resolution_breached and case.status != "closed" and overdue(sla.resolution_due, now):
        sla = sla.model_copy(update={"resolution_breached": True})
    return sla
