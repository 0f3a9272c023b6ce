"""Which customer each submission of a group belongs to: the pure part of the vault's grouped calls.

A customer is known by the exact SET of identifiers (id, email, phone, handle) given together:
one look-up per set, never one per identifier. Nothing a stranger sends at intake is verified,
so identifiers are never merged: a submission naming someone else's email together with a
phone of its own is a NEW customer (own reference, own key, no history), and a known email
never pulls another identifier into its customer. Only the same set again is the same
customer. `resolve` gives the same answer as asking the vault one submission at a time, in
order: a set seen before (in the database, or earlier in the group) names its customer; an
unseen set is a new customer, linked to its look-up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Resolution:
    refs: list[str]  # one per submission, in order
    created: list[str]  # refs of new customers, in order of first appearance
    links: dict[str, str]  # new look-up -> ref, to insert


def resolve(lookups: Sequence[str], known: Mapping[str, str], new_ref: Callable[[], str]) -> Resolution:
    """Resolve each submission's set look-up against `known` (look-up -> ref) and the submissions before it."""
    linked = dict(known)
    refs: list[str] = []
    created: list[str] = []
    links: dict[str, str] = {}
    for lookup in lookups:
        ref = linked.get(lookup)
        if ref is None:
            ref = linked[lookup] = links[lookup] = new_ref()
            created.append(ref)
        refs.append(ref)
    return Resolution(refs, created, links)
