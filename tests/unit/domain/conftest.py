from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from complaints.domain import Policy, load_policy
from tests.unit.domain.helpers import Lifecycle

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_POLICY = ROOT / "deploy" / "policy.yaml"
FAST_POLICY = ROOT / "tests" / "policies" / "fast.yaml"

# Keep hypothesis' cache out of the working tree.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "complaints-domain-hypothesis")


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY)


@pytest.fixture
def case(policy: Policy) -> Lifecycle:
    return Lifecycle(policy)
