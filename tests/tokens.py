"""Real staff tokens for tests, signed with the test run's dev key (as `complaints token` signs them)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from complaints.auth.staff import Staff
from complaints.auth.tokens import issue_dev_token
from complaints.settings import Settings


def token(settings: Settings, sub: str = "agent-1", level: str = "front_line", roles: Iterable[str] = ("agent",),
          departments: Iterable[str] = (), ttl: timedelta = timedelta(hours=1)) -> str:
    staff = Staff.model_validate({"id": sub, "level": level, "roles": tuple(roles), "departments": tuple(departments)})
    return issue_dev_token(settings, staff, ttl)


def bearer(settings: Settings, sub: str = "agent-1", level: str = "front_line", roles: Iterable[str] = ("agent",),
           departments: Iterable[str] = ()) -> dict[str, str]:
    """`Authorization` header of a token for this staff member."""
    return {"authorization": f"Bearer {token(settings, sub, level, roles, departments)}"}
