"""The authorization matrix: the one definition of who may call which endpoint.

Every route of every service has exactly one rule here: a capability, or PUBLIC. Roles grant
capabilities (a token may carry several roles; it gets the union). `docs/security.md` shows this
table, and a test walks every route of every service's own route table × every role against it:
an endpoint without a rule is refused (403) and fails that test.
"""

from __future__ import annotations

from typing import Literal

from complaints.auth.staff import ROLES, Role

Capability = Literal["public", "cases:read", "customers:read", "cases:act", "personal:read", "access-log:read",
                     "stats:read", "customers:erase", "policy:what-if"]
PUBLIC: Capability = "public"
ANY_SERVICE = "*"
WORKERS = ("escalation", "recovery", "followup")

#: What each role may do. agent: acts on cases within its level and departments; lead: also reads
#: personal data; integration: read-only, no personal data (not even the customer reference);
#: admin: operations (stats, personal data and its access log, erasure; replay is the CLI's).
GRANTS: dict[Role, frozenset[Capability]] = {
    "agent": frozenset({"cases:read", "customers:read", "cases:act"}),
    "lead": frozenset({"cases:read", "customers:read", "cases:act", "personal:read", "access-log:read",
                       "policy:what-if"}),
    "integration": frozenset({"cases:read", "stats:read"}),
    "admin": frozenset({"cases:read", "customers:read", "personal:read", "access-log:read", "stats:read",
                        "customers:erase", "policy:what-if"}),
}

#: (service, method, path template) → what it needs.
RULES: dict[tuple[str, str, str], Capability] = {
    (ANY_SERVICE, "GET", "/health"): PUBLIC,
    #: Prometheus scrapes without a token: aggregate counters only, no id or personal data in any label.
    (ANY_SERVICE, "GET", "/metrics"): PUBLIC,
    (ANY_SERVICE, "GET", "/openapi.json"): PUBLIC,
    (ANY_SERVICE, "GET", "/docs"): PUBLIC,
    (ANY_SERVICE, "GET", "/docs/oauth2-redirect"): PUBLIC,
    (ANY_SERVICE, "GET", "/redoc"): PUBLIC,
    ("intake", "POST", "/complaints"): PUBLIC,
    ("escalation", "POST", "/complaints/{complaint_id}/escalate"): "cases:act",
    ("recovery", "POST", "/complaints/{complaint_id}/offers"): "cases:act",
    ("followup", "POST", "/complaints/{complaint_id}/follow-up"): "cases:act",
    # staff case work, on the follow-up service (services/followup/casework.py)
    **{("followup", "POST", f"/complaints/{{complaint_id}}/{action}"): "cases:act"
       for action in ("take", "assign", "release", "replies", "notes", "close", "reopen")},
    **{(worker, "GET", "/stats"): "stats:read" for worker in WORKERS},
    ("projections", "GET", "/complaints/{complaint_id}"): "cases:read",
    ("projections", "GET", "/complaints"): "cases:read",
    ("projections", "GET", "/kpis"): "cases:read",
    ("projections", "POST", "/complaints/{complaint_id}/personal-data"): "personal:read",
    ("projections", "GET", "/complaints/{complaint_id}/access-log"): "access-log:read",
    ("projections", "POST", "/customers/{customer_ref}/erasure"): "customers:erase",
    ("projections", "POST", "/what-if"): "policy:what-if",
    # the notifier: the customer's page is public (its signed link is the capability); the rest is staff's
    ("notifier", "GET", "/c/{token}"): PUBLIC,
    **{("notifier", "POST", f"/c/{{token}}/{action}"): PUBLIC for action in ("accept", "decline", "answer")},
    ("notifier", "GET", "/deliveries"): "stats:read",
    ("notifier", "POST", "/deliveries/{delivery_id}/retry"): "stats:read",
    ("notifier", "GET", "/stats"): "stats:read",
    ("notifier", "GET", "/ledger"): "cases:read",
    ("notifier", "GET", "/worklist/follow-ups"): "cases:read",
    ("notifier", "POST", "/complaints/{complaint_id}/offers/{offer_id}/fulfilment"): "cases:act",
}

#: Finer rules inside an endpoint (enforced by the route, tested with it).
REFINEMENTS: dict[str, str] = {
    "customers:read": "`GET /complaints?customer=` (a customer's history) needs it; without it, case views and "
                      "queues show `customer_ref: null`.",
    "cases:act": "only on cases at or below the token's level; a case with a specialist department needs a token "
                 "of that department; an offer must fit the authority limit of the token's level.",
}


def rule_for(service: str, method: str, path: str) -> Capability | None:
    """The capability an endpoint needs (PUBLIC for none), or None when it has no rule (refused)."""
    method = "GET" if method == "HEAD" else method
    return RULES.get((service, method, path), RULES.get((ANY_SERVICE, method, path)))


def granted(roles: frozenset[Role]) -> frozenset[Capability]:
    return frozenset().union(*(GRANTS[r] for r in roles)) if roles else frozenset()


def roles_with(capability: Capability) -> list[Role]:
    return [r for r in ROLES if capability in GRANTS[r]]
