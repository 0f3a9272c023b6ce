"""Tunables of the projections service, with defaults that suit both brokers.

The ones an operator may want to change are `Settings` fields
(`COMPLAINTS_PROJECTIONS_READ_WAIT_S`, `COMPLAINTS_PROJECTIONS_BATCH_MAX`).
"""

from __future__ import annotations

from dataclasses import dataclass

from complaints.settings import Settings


@dataclass(frozen=True)
class ProjectionOptions:
    #: Longest a read waits for `min_position` before answering 409.
    read_wait_s: float = 5.0
    #: Records per fetched batch (= per transaction) for the live projector.
    batch_max_records: int = 2000
    #: Records per batch when replaying (bigger batches, fewer transactions).
    replay_batch_records: int = 10000
    #: How long one poll of the broker may wait when nothing is there.
    poll_timeout_ms: int = 200
    #: How often the live projector checks whether a replay swapped in a new generation.
    generation_check_s: float = 0.5
    #: Run the live projector inside the API process (the service does; some tests don't).
    run_projector: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> ProjectionOptions:
        return cls(
            read_wait_s=settings.projections_read_wait_s,
            batch_max_records=settings.projections_batch_max,
        )
