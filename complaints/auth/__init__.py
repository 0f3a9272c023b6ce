"""Staff identity and authority: bearer tokens, the `Staff` principal, the authorization matrix."""

from complaints.auth.staff import ROLES, Role, Staff

__all__ = ["ROLES", "Role", "Staff"]
