"""The kept policies as a running service sees them: re-read when the folder changes, no restart.

`PolicyShelf` answers like a `PolicyBook` (`get`, `for_case`, `in_force`, `configured`) from the
book it last read, checking the policy file and its `policies/` folder for changes at most every
`every_s` seconds, and at once when asked for a version it does not hold (a version published a
moment ago is found, not refused). A folder that no longer reads (a bad file) keeps the last good
book and logs the error: a service never drops to no policy at all.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from complaints.domain.case import CaseState
from complaints.domain.policy import Policy, PolicyError
from complaints.domain.policy_book import PolicyBook, UnknownPolicyVersion, kept_dir, load_book

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


class PolicyShelf:
    def __init__(self, policy_file: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None,
                 every_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._file = Path(policy_file)
        self._folder = Path(folder) if folder is not None else kept_dir(policy_file)
        self._every_s, self._clock = every_s, clock
        self._signature = self._read_signature()
        self._book = load_book(self._file, self._folder)  # at start, a bad policy stops the service
        self._checked = clock()

    @property
    def configured(self) -> Policy:
        return self.book().configured

    def book(self, *, now_please: bool = False) -> PolicyBook:
        moment = self._clock()
        if now_please or moment - self._checked >= self._every_s:
            self._checked = moment
            signature = self._read_signature()
            if signature != self._signature:
                try:
                    self._book = load_book(self._file, self._folder)
                    log.info("policies re-read: %s", ", ".join(sorted(self._book.kept)))
                except PolicyError as exc:
                    log.error("policies changed but cannot be read; keeping the last good ones: %s", exc)
                self._signature = signature
        return self._book

    def get(self, policy_id: str) -> Policy:
        try:
            return self.book().get(policy_id)
        except UnknownPolicyVersion:
            return self.book(now_please=True).get(policy_id)

    def for_case(self, state: CaseState | None) -> Policy:
        facts = state.facts if state is not None else None
        if facts is None or facts.policy_version is None:
            return self.book().configured
        return self.get(facts.policy_version)

    def in_force(self, now: datetime) -> Policy:
        return self.book().in_force(now)

    def _read_signature(self) -> Signature:
        paths = [self._file, *sorted(self._folder.glob("*.yaml"))] if self._folder.is_dir() else [self._file]
        out = []
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            out.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(out)
