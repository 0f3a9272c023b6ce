"""Strict request types: what the schema says is what the server takes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from complaints.guards import IsoDateTime, JsonInt, QueryDateTime
from services.projections.api.positions import parse_positions, positions_pattern


class Body(BaseModel):
    model_config = ConfigDict(strict=True)
    at: IsoDateTime | None = None
    n: JsonInt = 1


class Query(BaseModel):
    at: QueryDateTime


@pytest.mark.parametrize("value", ["2026-11-23T12:00:00Z", "2026-11-23T12:00:00.5+02:00", "2026-11-23t12:00:00z"])
def test_rfc3339_strings_with_a_zone_are_date_times(value: str) -> None:
    assert Body(at=value).at is not None  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [0, 1.5, "0", "0.5", "1700000000", "2026-11-23", "2026-11-23T12:00:00", True])
def test_numbers_dates_and_zoneless_strings_are_not_body_date_times(value: object) -> None:
    with pytest.raises(ValidationError, match="RFC 3339"):
        Body.model_validate({"at": value})


def test_a_query_date_time_may_omit_its_zone_but_is_never_a_number() -> None:
    assert Query.model_validate({"at": "2026-11-23T12:00:00"}).at == datetime(2026, 11, 23, 12)
    assert Query.model_validate({"at": "2026-11-23T12:00:00Z"}).at == datetime(2026, 11, 23, 12, tzinfo=UTC)
    for value in ("0.5", "0", "1700000000"):
        with pytest.raises(ValidationError, match="ISO 8601"):
            Query.model_validate({"at": value})


@pytest.mark.parametrize(("value", "expected"), [(4, 4), (4.0, 4)])
def test_integers_are_what_json_schema_calls_integers(value: object, expected: int) -> None:
    assert Body.model_validate({"n": value}).n == expected


@pytest.mark.parametrize("value", ["4", True, 4.5, None])
def test_strings_booleans_and_fractions_are_not_integers(value: object) -> None:
    with pytest.raises(ValidationError):
        Body.model_validate({"n": value})


TOPICS = ["t1.ComplaintReceived", "t1.Escalated"]


@settings(max_examples=200, derandomize=True, database=None)
@given(st.from_regex(positions_pattern(TOPICS), fullmatch=True))
def test_every_position_list_the_schema_allows_is_read(raw: str) -> None:
    for p in parse_positions(raw, TOPICS):
        assert p.topic in TOPICS and p.partition >= 0 and p.offset >= 0


@pytest.mark.parametrize("raw", ["null", "Escalated:1:2", "t1.Escalated:-1:2", "t1.Escalated:1", "t1.Escalated:a:b",
                                 "t1.Escalated:1:" + "9" * 19, "t1.Escalated:1:2;t1.Escalated:1:3"])
def test_what_the_schema_refuses_the_server_refuses(raw: str) -> None:
    assert re.search(positions_pattern(TOPICS), raw) is None
    with pytest.raises(ValueError):
        parse_positions(raw, TOPICS)
