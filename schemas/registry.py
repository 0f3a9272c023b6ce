"""Event-type registry and upcasters (pure functions, as in `eventsourcing`).

A consumer decodes any version it knows: older versions are upcast step by step
to the current model; unknown types and future versions raise `UnknownEventType`
so the caller can skip and count them instead of crashing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.events import ALL_EVENT_CLASSES, CASEWORK_EVENT_CLASSES, EVENT_CLASSES, Event

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

#: The lifecycle's types and staff case work: what the lifecycle folds (workers, read model) decode; others are skipped.
MODELS: dict[str, type[Event]] = {cls.event_type(): cls for cls in (*EVENT_CLASSES, *CASEWORK_EVENT_CLASSES)}
#: Every published type, the customer's answers included (the notifier reads them all).
ALL_MODELS: dict[str, type[Event]] = {cls.event_type(): cls for cls in ALL_EVENT_CLASSES}
#: old type -> (next type, pure function old payload -> next payload)
UPCASTERS: dict[str, tuple[str, Upcaster]] = {}


class UnknownEventType(LookupError):
    """The type is not one this code knows (another producer, or a future version)."""


def register_upcaster(old_type: str, new_type: str) -> Callable[[Upcaster], Upcaster]:
    """Declare how a payload of `old_type` becomes one of `new_type`."""

    def decorator(fn: Upcaster) -> Upcaster:
        UPCASTERS[old_type] = (new_type, fn)
        return fn

    return decorator


def upcast(event_type: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Apply upcasters until the type is a current one (or no upcaster applies)."""
    seen: set[str] = set()
    while event_type not in MODELS and event_type in UPCASTERS and event_type not in seen:
        seen.add(event_type)
        event_type, fn = UPCASTERS[event_type]
        payload = fn(dict(payload))
    return event_type, payload


def parse_event(event_type: str, payload: dict[str, Any], models: dict[str, type[Event]] = MODELS) -> Event:
    """Validate a payload of any known (or upcastable) type into its current model."""
    current_type, current = upcast(event_type, payload)
    model = models.get(current_type)
    if model is None:
        raise UnknownEventType(event_type)
    return model.model_validate(current)


@register_upcaster("complaints.ComplaintReceived.v1", "complaints.ComplaintReceived.v2")
def _received_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    """v1 recorded no policy, reasons nor due time: readers fall back to the policy they hold."""
    return {**payload, "policy_version": None, "reasons": [], "first_response_due_at": None}


@register_upcaster("complaints.FollowedUp.v1", "complaints.FollowedUp.v2")
def _followed_up_v1_to_v2(payload: dict[str, Any]) -> dict[str, Any]:
    return {**payload, "reasons": []}
