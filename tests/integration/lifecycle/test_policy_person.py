"""Issue 18 item 5 on the real stack: a customer who asks for a person gets a person, never the policy's robot."""

from __future__ import annotations

from schemas.events import Escalated
from tests.integration.lifecycle.story import Case
from tests.stack import Stack


def test_a_critical_chat_asking_for_a_person_waits_for_one_and_its_sla_climbs(stack: Stack) -> None:
    case = Case.post(stack, channel="chat", severity="critical", wants_human=True, customer={"id": "c-78"},
                     category="other", description="Nobody answers: I want a real person, now")
    _, triaged, breached = case.wait_for("ComplaintReceived", "Escalated", "Escalated", timeout=25, settle=1.0)
    assert isinstance(triaged.event, Escalated) and isinstance(breached.event, Escalated)
    assert (triaged.event.level, triaged.event.reason) == ("manager", "customer_request")
    assert any("no automatic offer" in r for r in triaged.event.reasons)
    # nobody answered within the (fast policy's) 4 s: the SLA moved it up, and still no automatic offer
    assert (breached.event.from_level, breached.event.level, breached.event.reason) == (
        "manager", "department", "sla_breached")
    assert "RecoveryOffered" not in case.types()
