"""KPIs of `factory.kpi_cases()`, computed by hand (times in seconds; see the comments in factory.py).

first response: A 1800, B 5400 (received T0+1h, offered T0+2h30), C 14400, E 600
    sorted [600, 1800, 5400, 14400] -> nearest-rank p50 = 2nd = 1800, p90 = ceil(3.6) = 4th = 14400
    mean = 22200 / 4 = 5550
episodes ended: A 7200, B#1 86400 (T0+1h -> T0+25h), B#2 86400 (T0+25h -> T0+49h), C 259200 (3 days)
    p50 = 2nd = 86400, p90 = 4th = 259200, mean = 439200 / 4 = 109800
SLA (first response): social A met, B breached (sla_breached escalation); email C met (due T0+1d);
    phone D never answered (due T0+2h15 passed); chat E met (due T0+3h31 after the escalation);
    web F never answered (due passed)
closed: A satisfied, B satisfied, C no_response -> recovery 2/3
CSAT: 5, 2, 4 -> 11/3; reopen: B of A,B,C followed up -> 1/3; no_response: 1 of 4 follow-ups
cost (offers not superseded): EUR coupon 5, refund 20, account_credit 30, replacement 15 = 70; USD refund 120
"""

from __future__ import annotations

from typing import Any

from pytest import approx

ALL: dict[str, Any] = {
    "volume": 6,
    "escalated": {
        "count": 3, "share": 0.5,
        "by_level": {"supervisor": {"count": 1, "share": approx(1 / 6)},
                     "manager": {"count": 1, "share": approx(1 / 6)},
                     "department": {"count": 1, "share": approx(1 / 6)}},
        "by_department": {"finance": {"count": 1, "share": approx(1 / 6)}},
    },
    "first_response": {"count": 4, "p50_s": 1800.0, "p90_s": 14400.0, "mean_s": 5550.0},
    "sla_by_channel": {
        "chat": {"met": 1, "breached": 0, "pending": 0, "attainment": 1.0},
        "email": {"met": 1, "breached": 0, "pending": 0, "attainment": 1.0},
        "phone": {"met": 0, "breached": 1, "pending": 0, "attainment": 0.0},
        "social": {"met": 1, "breached": 1, "pending": 0, "attainment": 0.5},
        "web": {"met": 0, "breached": 1, "pending": 0, "attainment": 0.0},
    },
    "time_to_resolution": {"count": 4, "p50_s": 86400.0, "p90_s": 259200.0, "mean_s": 109800.0},
    "recovery_rate": {"numerator": 2, "denominator": 3, "rate": approx(2 / 3)},
    "csat_after_recovery": {"responses": 3, "mean": approx(11 / 3)},
    "reopen_rate": {"numerator": 1, "denominator": 3, "rate": approx(1 / 3)},
    "no_response_rate": {"numerator": 1, "denominator": 4, "rate": 0.25},
    "recovery_cost": {
        "EUR": {"account_credit": "30.00", "coupon": "5.00", "refund": "20.00", "replacement": "15.00",
                "total": "70.00"},
        "USD": {"refund": "120.00", "total": "120.00"},
    },
}

#: channel=social: cases A and B only.
SOCIAL: dict[str, Any] = {
    "volume": 2,
    "escalated": {"count": 1, "share": 0.5, "by_level": {"manager": {"count": 1, "share": 0.5}}, "by_department": {}},
    "first_response": {"count": 2, "p50_s": 1800.0, "p90_s": 5400.0, "mean_s": 3600.0},
    "sla_by_channel": {"social": {"met": 1, "breached": 1, "pending": 0, "attainment": 0.5}},
    "time_to_resolution": {"count": 3, "p50_s": 86400.0, "p90_s": 86400.0, "mean_s": approx(180000 / 3)},
    "recovery_rate": {"numerator": 2, "denominator": 2, "rate": 1.0},
    "csat_after_recovery": {"responses": 3, "mean": approx(11 / 3)},
    "reopen_rate": {"numerator": 1, "denominator": 2, "rate": 0.5},
    "no_response_rate": {"numerator": 0, "denominator": 3, "rate": 0.0},
    "recovery_cost": {"EUR": {"account_credit": "30.00", "coupon": "5.00", "refund": "20.00", "total": "55.00"}},
}


def check(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, want in expected.items():
        assert actual[key] == want, f"{key}: {actual[key]!r} != {want!r}"
