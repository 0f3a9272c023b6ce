"""The demo staff of the dev sign-in page: one of each level and department (ids only, no names)."""

from __future__ import annotations

from complaints.auth.staff import Staff


def _staff(id: str, level: str, roles: tuple[str, ...] = ("agent",), departments: tuple[str, ...] = ()) -> Staff:
    return Staff.model_validate({"id": id, "level": level, "roles": roles, "departments": departments})


#: (who, what they do) — the sign-in page lists them in this order.
DEMO_STAFF: tuple[tuple[Staff, str], ...] = (
    (_staff("ana", "front_line"), "Front-line agent"),
    (_staff("sol", "supervisor"), "Supervisor"),
    (_staff("max", "manager"), "Manager"),
    (_staff("lee", "manager", ("lead",)), "Support lead (reads personal data, audited)"),
    (_staff("pia", "department", ("lead",), ("privacy_legal",)), "Privacy & legal specialist (lead)"),
    (_staff("fin", "department", ("agent",), ("finance",)), "Finance specialist"),
    (_staff("pro", "department", ("agent",), ("product",)), "Product specialist"),
    (_staff("hal", "department", ("agent",), ("hr",)), "HR specialist"),
    (_staff("opa", "department", ("agent",), ("operations",)), "Operations specialist"),
    (_staff("eve", "executive", ("lead",)), "Executive"),
)
BY_ID: dict[str, Staff] = {staff.id: staff for staff, _ in DEMO_STAFF}
