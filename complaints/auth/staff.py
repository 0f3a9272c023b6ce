"""Who is calling: a `Staff` principal, read from a verified token's claims (pure, no I/O).

A token carries `sub` (the staff id that goes on the log), `level` (whose authority limit applies),
`departments` and `roles`. Names and e-mail addresses are never read from it: nothing but the id
can end up on the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.common import Department, Level

Role = Literal["agent", "lead", "integration", "admin", "fulfilment"]
ROLES: tuple[Role, ...] = get_args(Role)


class InvalidClaims(ValueError):
    """A correctly signed token whose claims are not a staff identity (unknown level, role...)."""


class Staff(BaseModel):
    """A verified member of staff (or an integration client): only what authorization needs."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1, max_length=200,
                    description="The token's `sub`: the id recorded as offered_by / requested_by / recorded_by; "
                                "an opaque id, never an e-mail address (it goes on the log).")
    level: Level = Field(default="front_line", description="The level whose authority limit applies.")
    departments: frozenset[Department] = frozenset()
    roles: frozenset[Role] = frozenset()

    @field_validator("id")
    @classmethod
    def _opaque(cls, value: str) -> str:
        if "@" in value or any(c.isspace() for c in value):
            raise ValueError("must be an opaque staff id: no spaces, and never an e-mail address (it goes on the log)")
        return value

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> Staff:
        """The principal of verified claims; raises InvalidClaims naming the bad claim."""
        try:
            return cls.model_validate({"id": claims.get("sub"), "level": claims.get("level", "front_line"),
                                       "departments": claims.get("departments") or (),
                                       "roles": claims.get("roles") or ()})
        except ValidationError as exc:
            first = exc.errors()[0]
            claim = {"id": "sub"}.get(str(first["loc"][0]), str(first["loc"][0])) if first["loc"] else "claims"
            raise InvalidClaims(f"claim {claim!r}: {first['msg'].removeprefix('Value error, ')}") from None

    def claims(self) -> dict[str, Any]:
        """The claims that make this principal (what `complaints token` signs)."""
        return {"sub": self.id, "level": self.level, "departments": sorted(self.departments),
                "roles": sorted(self.roles)}
