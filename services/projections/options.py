"""Tunables of the projections service, with defaults that suit both brokers.

The ones an operator may want to change are `Settings` fields
(`COMPLAINTS_PROJECTIONS_READ_WAIT_S`, `COMPLAINTS_PROJECTIONS_BATCH_MAX`, `COMPLAINTS_PROJECTIONS_ROLE`,
`COMPLAINTS_PROJECTIONS_READ_THREADS`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from complaints.settings import ProjectionsRole, Settings


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
    #: Processes a replay reads and folds in (partitions split by number; 1: all in the caller's).
    replay_processes: int = field(default_factory=lambda: min(4, os.cpu_count() or 1))
    #: ... but one more process only per this many records in the log (starting one costs ~1 s).
    replay_records_per_process: int = 20_000
    #: Largest fetch response (the embedded broker ignores the per-partition limit but honours this one).
    fetch_max_bytes: int = 2**20
    #: Records held back for event-time alignment, all partitions together (see aligner.py).
    align_buffer_records: int = 12_000
    #: How often the live projector checks whether a replay swapped in a new generation.
    generation_check_s: float = 0.5
    #: Run the live projector inside the API process (the service does; some tests don't).
    run_projector: bool = True
    #: `reader`: never project nor create the read model, only serve reads (`COMPLAINTS_PROJECTIONS_ROLE`).
    role: ProjectionsRole = "auto"

    @property
    def projects(self) -> bool:
        """Whether this process runs the live projector (while it holds the writer lease)."""
        return self.run_projector and self.role != "reader"

    @classmethod
    def from_settings(cls, settings: Settings) -> ProjectionOptions:
        return cls(
            read_wait_s=settings.projections_read_wait_s,
            batch_max_records=settings.projections_batch_max,
            role=settings.projections_role,
        )
