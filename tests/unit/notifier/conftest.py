from __future__ import annotations

import pytest

from complaints.domain import Policy, load_policy
from complaints.settings import ROOT


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(ROOT / "deploy" / "policy.yaml")
