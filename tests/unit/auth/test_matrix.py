"""The authorization matrix is complete, and docs/security.md shows exactly it."""

from __future__ import annotations

from pathlib import Path

from complaints.auth.matrix import ANY_SERVICE, GRANTS, PUBLIC, RULES, granted, roles_with, rule_for
from complaints.auth.staff import ROLES

DOC = Path(__file__).resolve().parents[3] / "docs" / "security.md"


def render() -> str:
    """The matrix as the Markdown table docs/security.md carries (regenerate it from here)."""
    head = ["service", "endpoint", "needs", *ROLES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (service, method, path), need in RULES.items():
        marks = ["public" if need == PUBLIC else ("✓" if need in GRANTS[r] else "403") for r in ROLES]
        where = "every service" if service == ANY_SERVICE else service
        lines.append(f"| {where} | `{method} {path}` | {need} | " + " | ".join(marks) + " |")
    return "\n".join(lines)


def test_docs_security_md_shows_the_matrix_as_the_code_has_it() -> None:
    assert render() in DOC.read_text(), "docs/security.md is stale: paste tests/unit/auth/test_matrix.py render()"


def test_every_role_grants_something_and_every_capability_is_someones() -> None:
    assert set(GRANTS) == set(ROLES) and all(GRANTS.values())
    needed = {need for need in RULES.values() if need != PUBLIC}
    assert all(roles_with(need) for need in needed)


def test_integration_reads_but_never_acts_nor_sees_personal_data() -> None:
    assert granted(frozenset({"integration"})) == {"cases:read", "stats:read"}
    assert "personal:read" in granted(frozenset({"lead"})) and "personal:read" in granted(frozenset({"admin"}))
    assert "personal:read" not in granted(frozenset({"agent"}))


def test_a_payment_systems_fulfilment_role_records_fulfilment_and_nothing_else() -> None:
    fulfil = rule_for("notifier", "POST", "/complaints/{complaint_id}/offers/{offer_id}/fulfilment")
    assert fulfil == "offers:fulfil" and granted(frozenset({"fulfilment"})) == {"offers:fulfil"}
    assert roles_with("offers:fulfil") == ["agent", "lead", "fulfilment"]  # staff still fulfil; read-only never


def test_roles_add_up_and_no_role_grants_nothing() -> None:
    assert granted(frozenset()) == frozenset()
    assert granted(frozenset({"agent", "integration"})) == GRANTS["agent"] | GRANTS["integration"]


def test_a_route_without_a_rule_has_none_and_head_answers_as_get() -> None:
    assert rule_for("recovery", "DELETE", "/complaints/{complaint_id}/offers") is None
    assert rule_for("intake", "GET", "/complaints") is None  # intake only takes complaints
    assert rule_for("projections", "HEAD", "/health") == PUBLIC
