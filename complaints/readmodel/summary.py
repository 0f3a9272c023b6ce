"""What a queue row shows of a case (`QueueItem`), defined from the case document — pure, no I/O.

The writer keeps `summary_of(doc)` beside each case document (the `cases.summary` column, as JSON), so a
queue page decodes ~0.7 KB per row instead of the whole case (offers, follow-ups, escalations, episodes…:
decoding those was about half of a page's time). It is a function of the document alone, so replay and
the live path write the same summary; `item_of` gives the same item for a case folded any other way
(`as_of`). What depends on the reading moment (a breach by the clock) is applied at read time
(`fold.effective_sla`), as for the case view.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field

from complaints.readmodel.model import Case, Outcome, Sla, Status, Value, position_tokens
from schemas.common import Category, Channel, Department, Level, Severity

#: The document's fields a queue item copies as they are.
FIELDS = ("complaint_id", "status", "episode", "level", "department", "channel", "customer_ref", "category",
          "severity", "public", "received_at", "sla", "outcome", "reopen_count", "updated_at", "assignee")


class QueueItem(Value):
    """One case as a queue page lists it (its SLA as stored: `fold.effective_sla` applies the clock)."""

    complaint_id: str
    status: Status
    episode: int
    level: Level
    department: Department | None
    channel: Channel | None
    customer_ref: str | None
    category: Category | None
    severity: Severity | None
    public: bool | None
    received_at: datetime | None
    sla: Sla
    outcome: Outcome | None
    offers: int = Field(description="Offers made (superseded ones included).")
    reopen_count: int
    updated_at: datetime | None
    position: str = Field(description="The case's log positions, comma-joined (`Case.position_tokens`).")
    assignee: str | None


def summary_of(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The queue item of a case document (`Case.model_dump(mode="json")`), in the same JSON form."""
    out = {name: doc.get(name) for name in FIELDS}
    out["offers"] = len(doc["offers"])
    out["position"] = ",".join(position_tokens(doc["positions"]))
    return out


def item_of(case: Case) -> QueueItem:
    return QueueItem.model_validate(summary_of(case.model_dump(mode="json")))
