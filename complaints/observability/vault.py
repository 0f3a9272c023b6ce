"""Vault operations counted and timed, by wrapping a `Vault` instance where a service is wired."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from complaints.observability.metrics import VAULT_DURATION, VAULT_OPERATIONS

V = TypeVar("V")

#: The vault's public operations (those a given version lacks are left alone).
OPERATIONS = ("customer_ref", "customer_refs", "seal_many", "seal", "open", "erase", "rotate", "rewrap")


def _timed(operation: str, call: Callable[..., Any]) -> Callable[..., Any]:
    ok, failed = VAULT_OPERATIONS.labels(operation, "ok"), VAULT_OPERATIONS.labels(operation, "error")
    took = VAULT_DURATION.labels(operation)

    @functools.wraps(call)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            result = call(*args, **kwargs)
        except BaseException:
            failed.inc()
            raise
        finally:
            took.observe(time.perf_counter() - started)
        ok.inc()
        return result

    return timed


def instrument_vault(vault: V, enabled: bool = True) -> V:
    """The same vault, each operation counted by outcome and timed (its arguments are never looked at)."""
    if enabled:
        for operation in OPERATIONS:
            call = getattr(vault, operation, None)
            if callable(call):
                setattr(vault, operation, _timed(operation, call))
    return vault
