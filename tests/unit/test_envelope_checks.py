"""Decoding checks a record's headers before anything reads or stores it: bounded, zoned, about one case."""

from __future__ import annotations

import pytest

from complaints.envelope import HEADER_MAX, MalformedEvent, Record, decode
from tests.unit.readmodel.factory import T0, received


def good() -> Record:
    return received("c-1", T0, channel="in_person").record()


def with_header(rec: Record, name: str, value: bytes | None) -> list[tuple[str, bytes]]:
    kept = [(k, v) for k, v in rec.headers if k != name]
    return kept if value is None else [*kept, (name, value)]


def test_a_well_formed_record_decodes_with_its_key() -> None:
    rec = good()
    env = decode(rec.headers, rec.value, rec.key)
    assert (env.subject, env.time) == ("c-1", T0)


@pytest.mark.parametrize("name", ["ce_id", "ce_source", "ce_type", "ce_subject", "ce_correlationid",
                                  "ce_causationid", "ce_traceparent", "ce_partnerextension"])
def test_an_over_long_header_is_refused_naming_it(name: str) -> None:
    rec = good()
    bound = HEADER_MAX.get(name[3:], 200)
    with pytest.raises(MalformedEvent, match=f"{name} is {bound + 1} characters long; at most {bound}"):
        decode(with_header(rec, name, b"x" * (bound + 1)), rec.value, rec.key)


def test_the_300_character_id_of_the_issue_is_refused() -> None:
    rec = good()
    with pytest.raises(MalformedEvent, match="ce_id is 300 characters"):
        decode(with_header(rec, "ce_id", b"i" * 300), rec.value, rec.key)


def test_a_time_without_a_zone_is_refused() -> None:
    rec = good()
    with pytest.raises(MalformedEvent, match="no time zone offset"):
        decode(with_header(rec, "ce_time", b"2026-01-05T09:00:00"), rec.value, rec.key)


def test_a_record_without_a_time_is_refused() -> None:
    rec = good()
    with pytest.raises(MalformedEvent, match="missing ce_time"):
        decode(with_header(rec, "ce_time", None), rec.value, rec.key)


def test_a_key_that_is_not_the_case_is_refused() -> None:
    rec = good()
    with pytest.raises(MalformedEvent, match="record key b'c-2' is not the payload's complaint_id 'c-1'"):
        decode(rec.headers, rec.value, b"c-2")


def test_a_subject_that_is_not_the_case_is_refused() -> None:
    rec = good()
    with pytest.raises(MalformedEvent, match="ce_subject 'c-2' is not the payload's complaint_id"):
        decode(with_header(rec, "ce_subject", b"c-2"), rec.value, rec.key)
