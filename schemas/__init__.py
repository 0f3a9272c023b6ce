"""The published event contract: models, registry and exported JSON Schemas."""

from schemas.common import LEVELS, Money, Sealed
from schemas.events import (
    EVENT_CLASSES,
    TOPICS,
    ComplaintReceived,
    Escalated,
    Event,
    FollowedUp,
    RecoveryOffered,
    Remedy,
)

__all__ = [
    "EVENT_CLASSES",
    "LEVELS",
    "TOPICS",
    "ComplaintReceived",
    "Escalated",
    "Event",
    "FollowedUp",
    "Money",
    "RecoveryOffered",
    "Remedy",
    "Sealed",
]
