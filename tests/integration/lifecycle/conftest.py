from __future__ import annotations

from collections.abc import Iterator

import pytest

from complaints.settings import Settings
from tests.stack import Stack


@pytest.fixture(scope="module")
def stack(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Intake and the three workers as real processes on the module's broker, with the fast test policy."""
    running = Stack(module_settings, tmp_path_factory.mktemp("logs"))
    try:
        yield running.start("intake", "escalation", "recovery", "followup")
    finally:
        running.stop()
