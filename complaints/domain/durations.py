"""Policy durations: compact strings such as "90s", "15m", "2h", "1d" or "1h30m"."""

from __future__ import annotations

import re
from datetime import timedelta

_PATTERN = re.compile(r"^(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?$")
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def parse_duration(value: object) -> timedelta:
    """A positive duration from "<n>d<n>h<n>m<n>s" (each part optional, in that order)."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, str) and value.strip() and (match := _PATTERN.match(value.strip())):
        seconds = sum(int(match.group(unit) or 0) * size for unit, size in _UNITS)
    else:
        raise ValueError(f"write a duration as a string such as '90s', '15m', '2h', '1d' or '1h30m' (got {value!r})")
    if seconds <= 0:
        raise ValueError(f"a duration must be longer than zero (got {value!r})")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The compact form back, e.g. timedelta(hours=1, minutes=30) -> "1h30m"."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
