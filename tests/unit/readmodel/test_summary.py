"""The queue item a case row keeps (`summary_of` its document) is the case as a queue page shows it."""

from __future__ import annotations

from pydantic_core import to_json

from complaints.readmodel.fold import effective_sla
from complaints.readmodel.summary import FIELDS, QueueItem, item_of, summary_of
from services.projections.api.views import CaseSummary, case_summary
from tests.unit.readmodel.test_kpis_and_queue import NOW, cases


def test_the_stored_summary_is_the_queue_item_of_the_case() -> None:
    folded = cases()
    assert len(folded) > 3
    for case in folded:
        stored = QueueItem.model_validate_json(to_json(summary_of(case.model_dump(mode="json"))))
        assert stored == item_of(case)
        assert {name: getattr(stored, name) for name in FIELDS} == {name: getattr(case, name) for name in FIELDS}
        assert stored.offers == len(case.offers) and stored.position == ",".join(case.position_tokens())


def test_a_queue_row_is_the_same_from_the_item_or_the_case() -> None:
    assert list(QueueItem.model_fields) == list(CaseSummary.model_fields)  # case_summary copies them all
    for case in cases():
        row = case_summary(item_of(case), NOW)
        assert row == case_summary(case, NOW) == CaseSummary.model_validate(row.model_dump())
        assert row.model_dump_json() == CaseSummary.model_validate(row.model_dump()).model_dump_json()
        assert row.sla == effective_sla(case, NOW) and row.complaint_id == case.complaint_id
        assert row.offers == len(case.offers) and row.reopen_count == case.reopen_count
