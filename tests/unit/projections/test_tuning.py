"""The projections service's process tuning."""

from __future__ import annotations

import platform

import pytest

from services.projections.tuning import limit_malloc_arenas


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_malloc_arenas_are_limited_on_glibc() -> None:
    assert limit_malloc_arenas() is True
    assert limit_malloc_arenas(1) is True  # may be set again (it only bounds arenas made from now on)
    assert limit_malloc_arenas() is True
