"""Deterministic ids: the same cause always yields the same id (uuid5)."""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("5b0f6f2e-7a53-4bd6-9d5c-2f8e0c1f6a10")


def deterministic_id(*parts: object) -> str:
    """uuid5 over the parts, e.g. `deterministic_id("Escalated", cause_event_id, "sla")`."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join(str(p) for p in parts)))
