"""The kept policies: every published version by its content-addressed id, and which one is in force.

A policy's id is `<version>@<hash of its content>` (`Policy.policy_id`); intake stamps the id in
force when a complaint arrives on its `ComplaintReceived`, and every later decision on that case is
made under that exact policy, by whichever service makes it. A service that does not hold the
version a case names refuses (`UnknownPolicyVersion`) instead of deciding under another one.

Kept versions live in a folder (`policies/` beside the policy file, one `<policy_id>.yaml` each),
so any past decision can be explained with the exact policy it was made under; a file whose name is
not its content's id is refused. A version with `effective_from` is in force from that instant on,
for every service reading the same folder (the latest `effective_from` at or before now wins).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from complaints.domain.case import CaseState
from complaints.domain.errors import DomainError
from complaints.domain.policy import Policy, PolicyError, load_policy


class UnknownPolicyVersion(DomainError):
    """A case names a policy this service does not hold: it refuses rather than guess."""


class Policies(Protocol):
    """What a service asks of its kept policies (`PolicyBook`, or the shell's reloading `PolicyShelf`)."""

    @property
    def configured(self) -> Policy: ...
    def get(self, policy_id: str) -> Policy: ...
    def for_case(self, state: CaseState | None) -> Policy: ...
    def in_force(self, now: datetime) -> Policy: ...


@dataclass(frozen=True)
class PolicyBook:
    configured: Policy  # COMPLAINTS_POLICY_FILE: in force unless a kept version took effect after it
    kept: Mapping[str, Policy]  # every policy this service holds, by policy id (the configured one too)

    @classmethod
    def of(cls, configured: Policy, *others: Policy) -> PolicyBook:
        return cls(configured, {p.policy_id: p for p in (configured, *others)})

    def get(self, policy_id: str) -> Policy:
        policy = self.kept.get(policy_id)
        if policy is None:
            held = ", ".join(sorted(self.kept)) or "none"
            raise UnknownPolicyVersion(
                f"asked to act under policy {policy_id}, which this service does not hold (it holds: {held}); "
                "publish that version into the policies folder of every service instead of mixing versions")
        return policy

    def for_case(self, state: CaseState | None) -> Policy:
        """The policy the case was received under (cases received before ids were recorded: the configured one)."""
        facts = state.facts if state is not None else None
        if facts is None or facts.policy_version is None:
            return self.configured
        return self.get(facts.policy_version)

    def in_force(self, now: datetime) -> Policy:
        """The kept version with the latest `effective_from` at or before `now` (none set: the configured one)."""
        best, best_from = self.configured, self.configured.effective_from
        for policy in self.kept.values():
            start = policy.effective_from
            if start is not None and start <= now and (best_from is None or start > best_from):
                best, best_from = policy, start
        return best


def kept_dir(policy_file: str | os.PathLike[str]) -> Path:
    """Where the kept versions of a policy file live: `policies/` beside it."""
    return Path(policy_file).parent / "policies"


def load_book(policy_file: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None) -> PolicyBook:
    """The configured policy and every kept version (refusing a kept file not named by its content's id)."""
    configured = load_policy(policy_file)
    directory = Path(folder) if folder is not None else kept_dir(policy_file)
    others = []
    for path in sorted(directory.glob("*.yaml")) if directory.is_dir() else []:
        policy = load_policy(path)
        if path.stem != policy.policy_id:
            raise PolicyError(os.fspath(path), [f"a kept policy is named by its id: this one is {policy.policy_id} "
                                                "(was it edited after publishing? publish a new version instead)"])
        others.append(policy)
    return PolicyBook.of(configured, *others)


def publish(policy_file: str | os.PathLike[str], folder: str | os.PathLike[str] | None = None) -> Path:
    """Keep a copy of `policy_file` under its id (idempotent); returns the kept file."""
    policy = load_policy(policy_file)
    directory = Path(folder) if folder is not None else kept_dir(policy_file)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{policy.policy_id}.yaml"
    if not target.exists():
        target.write_bytes(Path(policy_file).read_bytes())
    return target
