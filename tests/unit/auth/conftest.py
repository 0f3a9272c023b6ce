from __future__ import annotations

import pytest

from complaints.domain.policy import Policy, load_policy
from complaints.settings import default_policy_file


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The shipped policy (deploy/policy.yaml): front line USD 25, ..., executive USD 10,000."""
    return load_policy(default_policy_file())
