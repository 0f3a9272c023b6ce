"""Cross-field checks of a policy: completeness and consistency, each problem named by its key."""

from __future__ import annotations

import string
from itertools import pairwise
from typing import TYPE_CHECKING, get_args

from schemas.common import LEVELS, Category, Channel, Severity

if TYPE_CHECKING:
    from complaints.domain.policy import Policy, RemedyItem

CATEGORIES: tuple[str, ...] = get_args(Category)
CHANNELS: tuple[str, ...] = get_args(Channel)
SEVERITIES: tuple[str, ...] = get_args(Severity)
APOLOGY_FIELDS = ("issue", "channel", "level")


def check_policy(policy: Policy) -> list[str]:
    return [*_levels(policy), *_triage(policy), *_sla(policy), *_follow_up(policy), *_recovery(policy),
            *_calendars(policy)]


def _levels(policy: Policy) -> list[str]:
    problems = [
        f"levels.{level}: is required (every level needs an authority_limit)"
        for level in LEVELS
        if level not in policy.levels
    ]
    if problems:
        return problems
    currency = policy.recovery.default_currency
    currencies = set(policy.levels["front_line"].authority_limit)
    for level in LEVELS:
        limits = policy.levels[level].authority_limit
        if currency not in limits:
            problems.append(f"levels.{level}.authority_limit: has no limit in the default currency {currency}")
        if set(limits) != currencies:
            problems.append(
                f"levels.{level}.authority_limit: names currencies {sorted(limits)}, "
                f"but front_line names {sorted(currencies)}; every level needs the same currencies"
            )
    for lower, higher in pairwise(LEVELS):
        for cur, amount in policy.levels[higher].authority_limit.items():
            below = policy.levels[lower].authority_limit.get(cur)
            if below is not None and amount < below:
                problems.append(
                    f"levels.{higher}.authority_limit.{cur}: {amount} is less than {lower}'s {below}; "
                    "authority never decreases up the levels"
                )
    return problems


def _triage(policy: Policy) -> list[str]:
    triage = policy.triage
    problems = [
        f"triage.department_by_category.{category}: is required (the department a case of this category goes to)"
        for category in CATEGORIES
        if category not in triage.department_by_category
    ]
    seen: set[str] = set()
    for index, rule in enumerate(triage.rules):
        if rule.name in seen:
            problems.append(f"triage.rules[{index}].name: '{rule.name}' is used by an earlier rule; names are unique")
        seen.add(rule.name)
    if triage.customer_request_level == "front_line":
        problems.append(
            "triage.customer_request_level: must be above front_line (a customer who asks for a person is escalated)"
        )
    return problems


def _sla(policy: Policy) -> list[str]:
    problems = []
    for channel in CHANNELS:
        table = policy.sla.first_response.get(channel)  # type: ignore[call-overload]
        if table is None:
            problems.append(f"sla.first_response.{channel}: is required (every channel needs a first-response SLA)")
            continue
        missing = [s for s in SEVERITIES if s not in table] if "default" not in table else []
        if missing:
            problems.append(
                f"sla.first_response.{channel}: no SLA for severity {', '.join(missing)} (add them or a 'default')"
            )
    return problems


def _calendars(policy: Policy) -> list[str]:
    sla, known = policy.sla, ", ".join(policy.calendars) or "none"
    tables: dict[str, list[tuple[str, str]]] = {"calendar_by_channel": list(sla.calendar_by_channel.items()),
                                                "calendar_by_level": list(sla.calendar_by_level.items()),
                                                "calendar_by_department": list(sla.calendar_by_department.items())}
    problems = [f"sla.{table}.{key}: {name!r} is not one of calendars ({known})"
                for table, names in tables.items() for key, name in names if name not in policy.calendars]
    problems += [f"sla.wall_clock_channels: {channel} also has a calendar in sla.calendar_by_channel (choose one)"
                 for channel in sla.wall_clock_channels if channel in sla.calendar_by_channel]
    return problems


def _follow_up(policy: Policy) -> list[str]:
    return [
        f"follow_up.delay.{channel}: is required (every channel needs a follow-up delay)"
        for channel in CHANNELS
        if channel not in policy.follow_up.delay
    ]


def _recovery(policy: Policy) -> list[str]:
    recovery = policy.recovery
    problems = []
    if "apology" not in recovery.catalogue:
        problems.append("recovery.catalogue: must include 'apology' (every recovery starts with one)")
    if recovery.default_currency not in recovery.gesture:
        problems.append(f"recovery.gesture: has no amount in the default currency {recovery.default_currency}")
    if "default" not in recovery.recipes:
        missing = [c for c in CATEGORIES if c not in recovery.recipes]
        if missing:
            problems.append(f"recovery.recipes: no recipe for {', '.join(missing)} and no 'default' recipe")
    for key, recipe in recovery.recipes.items():
        problems += _items(policy, f"recovery.recipes.{key}.items", recipe.items)
        if recipe.apology is not None:
            problems += _template(f"recovery.recipes.{key}.apology", recipe.apology)
    problems += _items(policy, "recovery.reopen.extra", recovery.reopen.extra)
    problems += _template("recovery.apology", recovery.apology)
    return problems


def _items(policy: Policy, path: str, items: tuple[RemedyItem, ...]) -> list[str]:
    return [
        f"{path}[{index}].type: '{item.type}' is not in recovery.catalogue {list(policy.recovery.catalogue)}"
        for index, item in enumerate(items)
        if item.type not in policy.recovery.catalogue
    ]


def _template(path: str, text: str) -> list[str]:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as exc:
        return [f"{path}: not a valid template ({exc}); write literal braces as {{{{ and }}}}"]
    unknown = sorted({n for n in names if n not in APOLOGY_FIELDS})
    if unknown:
        allowed = ", ".join("{" + f + "}" for f in APOLOGY_FIELDS)
        return [f"{path}: unknown placeholder {', '.join('{' + n + '}' for n in unknown)}; allowed: {allowed}"]
    return []
