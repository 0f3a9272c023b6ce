"""The vault's grouped resolution (pure): the same customers as asking one identifier set at a time."""

from __future__ import annotations

import itertools

from complaints.pii.grouping import resolve


def refs() -> itertools.count[int]:
    return itertools.count(1)


def fresh(counter: itertools.count[int]) -> str:
    return f"new{next(counter)}"


def test_a_new_customer_twice_in_a_group_is_one_customer() -> None:
    c = refs()
    out = resolve([["email:a"], ["email:a"], ["email:b"]], {}, lambda: fresh(c))
    assert out.refs == ["new1", "new1", "new2"]
    assert out.created == ["new1", "new2"]
    assert out.links == {"email:a": "new1", "email:b": "new2"}


def test_sets_sharing_an_identifier_chain_to_the_first_customer() -> None:
    c = refs()
    out = resolve([["email:a"], ["email:a", "phone:p"], ["phone:p"]], {}, lambda: fresh(c))
    assert out.refs == ["new1", "new1", "new1"]
    assert out.created == ["new1"]
    assert out.links == {"email:a": "new1", "phone:p": "new1"}


def test_known_identifiers_name_their_customer_and_new_ones_are_linked_to_it() -> None:
    c = refs()
    out = resolve([["email:a", "phone:new"], ["phone:new"]], {"email:a": "old"}, lambda: fresh(c))
    assert out.refs == ["old", "old"]
    assert out.created == []
    assert out.links == {"phone:new": "old"}  # known lookups are not inserted again


def test_an_identifier_never_moves_and_the_first_known_one_wins() -> None:
    c = refs()
    known = {"email:a": "x", "phone:p": "y"}
    out = resolve([["email:a", "phone:p"], ["phone:p", "email:a"]], known, lambda: fresh(c))
    assert out.refs == ["x", "y"]  # in each set's own order
    assert out.links == {} and out.created == []


def test_an_empty_group() -> None:
    out = resolve([], {}, lambda: "never")
    assert (out.refs, out.created, out.links) == ([], [], {})
