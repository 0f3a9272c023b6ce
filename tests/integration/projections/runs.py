"""How the read model's property tests run: a few examples in the suite, the full run behind `scripts/test-heavy`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.strategies import SearchStrategy

Test = Callable[..., None]


def drawn(examples: int, **strategies: SearchStrategy[Any]) -> Callable[[Test], Test]:
    """`@given(**strategies)` for `examples` examples: no deadline (real databases), and the test's fixtures
    (its catalog: each example makes and drops a generation of its own) shared by its examples."""
    def wrap(test: Test) -> Test:
        return settings(max_examples=examples, deadline=None,  # type: ignore[no-any-return]
                        suppress_health_check=[HealthCheck.function_scoped_fixture])(given(**strategies)(test))
    return wrap


def full_run(test: Test, examples: int, **strategies: SearchStrategy[Any]) -> Test:
    """The same property test (a `drawn` one) with `examples` examples, marked `heavy`: out of the suite."""
    inner: Test = getattr(test, "hypothesis").inner_test  # noqa: B009  (the undecorated test)
    return pytest.mark.heavy(drawn(examples, **strategies)(inner))
