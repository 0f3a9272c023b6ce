"""The vault's grouped resolution (pure): the same customers as asking one submission at a time."""

from __future__ import annotations

import itertools

from complaints.pii.grouping import resolve


def refs() -> itertools.count[int]:
    return itertools.count(1)


def fresh(counter: itertools.count[int]) -> str:
    return f"new{next(counter)}"


def test_a_new_customer_twice_in_a_group_is_one_customer() -> None:
    c = refs()
    out = resolve(["set:a", "set:a", "set:b"], {}, lambda: fresh(c))
    assert out.refs == ["new1", "new1", "new2"]
    assert out.created == ["new1", "new2"]
    assert out.links == {"set:a": "new1", "set:b": "new2"}


def test_a_known_set_names_its_customer_and_is_not_inserted_again() -> None:
    c = refs()
    out = resolve(["set:a", "set:new", "set:a"], {"set:a": "old"}, lambda: fresh(c))
    assert out.refs == ["old", "new1", "old"]
    assert out.created == ["new1"]
    assert out.links == {"set:new": "new1"}


def test_an_empty_group() -> None:
    out = resolve([], {}, lambda: "never")
    assert (out.refs, out.created, out.links) == ([], [], {})
