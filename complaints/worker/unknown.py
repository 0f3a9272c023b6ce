"""Event types a worker does not know: skipped and counted per type, or parked when it must understand them.

The topics carry types a lifecycle worker has no use for (the customer's answers on
`RecoveryOffered`, another producer's events): those are skipped, counted per type (`/health`,
`/stats`, and `complaints_worker_events_total{outcome="skipped_unknown"}`) and logged once per type —
never dropped silently. A version this code cannot read of a type it must understand (a
`complaints.Escalated.v9` before this service is upgraded) is not skipped: it is refused, so it is
parked, and can be re-driven once the service understands it.
"""

from __future__ import annotations

import logging

from schemas.registry import MODELS

log = logging.getLogger(__name__)

#: The lifecycle's type families ("complaints.Escalated"): every worker must understand every version.
MUST_UNDERSTAND = frozenset(t.rsplit(".v", 1)[0] for t in MODELS)
#: Distinct unknown types counted one by one; beyond, under "other" (a hostile producer cannot grow it).
MOST_TYPES = 50


class UnreadableVersion(ValueError):
    """A version of a lifecycle type this code cannot read: parked, to be re-driven after an upgrade."""


def must_understand(event_type: str) -> bool:
    return event_type.rsplit(".v", 1)[0] in MUST_UNDERSTAND


class UnknownTypes:
    def __init__(self, service: str) -> None:
        self.service = service
        self.counts: dict[str, int] = {}

    def skipped(self, event_type: str) -> None:
        name = event_type[:100] if event_type in self.counts or len(self.counts) < MOST_TYPES else "other"
        if name not in self.counts:
            log.warning("%s: skipping events of type %r, which it does not use (counted per type in /health)",
                        self.service, name)
        self.counts[name] = self.counts.get(name, 0) + 1
