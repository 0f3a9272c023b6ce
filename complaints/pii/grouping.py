"""Which customer each identifier set of a group belongs to: the pure part of the vault's grouped calls.

`resolve` gives the same answer as asking the vault one identifier set at a time, in order:
an identifier already known (in the database, or earlier in the group) names its customer;
a set with no known identifier is a new customer; every identifier not yet known is linked
to the set's customer. So two submissions of one new customer in the same group (or two that
share any identifier) get one customer, and an identifier never moves between customers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Resolution:
    refs: list[str]  # one per identifier set, in order
    created: list[str]  # refs of new customers, in order of first appearance
    links: dict[str, str]  # new lookup -> ref, to insert


def resolve(lookup_sets: Sequence[Sequence[str]], known: Mapping[str, str], new_ref: Callable[[], str]) -> Resolution:
    """Resolve each set (its lookups in preference order) against `known` (lookup -> ref) and the sets before it."""
    linked = dict(known)
    refs: list[str] = []
    created: list[str] = []
    links: dict[str, str] = {}
    for lookups in lookup_sets:
        ref = next((linked[lookup] for lookup in lookups if lookup in linked), None)
        if ref is None:
            ref = new_ref()
            created.append(ref)
        for lookup in lookups:
            if lookup not in linked:
                linked[lookup] = links[lookup] = ref
        refs.append(ref)
    return Resolution(refs, created, links)
