"""The complaint policy as data: levels and their authority, triage, SLAs, recovery, follow-up.

`load_policy(path)` reads a YAML file (the shape is documented in `docs/policy.md`)
and refuses, with a `PolicyError` naming every offending key, a policy that is
inconsistent or that would charge a customer. Policies are versioned: `version`
is recorded in every decision event.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    model_validator,
)

from complaints.domain.durations import format_duration, parse_duration
from complaints.domain.policy_calendar import Calendar
from complaints.domain.policy_checks import check_policy
from complaints.domain.policy_intake import IntakePolicy
from schemas.common import LEVELS, Category, Channel, Department, Level, Money, RemedyType, Severity, bounded_amount

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str, when_used="json")
]
SeverityKey = Severity | Literal["default"]
RecipeKey = Category | Literal["default"]
Basis = Literal["none", "at_stake", "gesture"]


def _not_negative(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValueError(f"{value} is negative: amounts in a policy are never negative")
    return value


def _money_amount(value: Decimal) -> Decimal:
    """A policy amount is money: whole cents, below 10^12 (what every event's `Money` holds)."""
    _not_negative(value)
    try:
        return bounded_amount(value)
    except ValueError:
        raise ValueError(f"{value} is not an amount of money: at most 12 digits and 2 decimals") from None


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


Amount = Annotated[Decimal, AfterValidator(_money_amount)]
Amounts = Annotated[dict[Currency, Amount], Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LevelPolicy(_Strict):
    authority_limit: Amounts
    auto_offer: bool | None = None  # None: True below the department level, False at department/executive


class Match(_Strict):
    """Conditions of a triage rule; all given conditions must hold (an empty match matches everything)."""

    category: Annotated[tuple[Category, ...], BeforeValidator(_as_list)] | None = None
    severity: Annotated[tuple[Severity, ...], BeforeValidator(_as_list)] | None = None
    channel: Annotated[tuple[Channel, ...], BeforeValidator(_as_list)] | None = None
    public: bool | None = None
    wants_human: bool | None = None
    min_amount: Amounts | None = None
    min_prior_complaints: int | None = Field(default=None, ge=0)


class TriageOutcome(_Strict):
    level: Level
    department: Department | None = None
    auto_offer: bool | None = None  # overrides the level's auto_offer for cases this sends there
    reason: str = Field(min_length=1)


class TriageRule(TriageOutcome):
    name: str = Field(min_length=1)
    when: Match = Match()


class TriagePolicy(_Strict):
    rules: tuple[TriageRule, ...] = ()
    default: TriageOutcome
    customer_request_level: Level = "supervisor"
    department_by_category: dict[Category, Department]


class SlaPolicy(_Strict):
    first_response: dict[Channel, dict[SeverityKey, Duration]]
    public_max: Duration | None = None
    # Whose business hours an SLA counts (names in `calendars`): the department's that answers, else the
    # level's, else the channel's; none of them: the wall clock (`Policy.calendar_for`).
    calendar_by_channel: dict[Channel, str] = Field(default_factory=dict)
    calendar_by_level: dict[Level, str] = Field(default_factory=dict)
    calendar_by_department: dict[Department, str] = Field(default_factory=dict)
    # Channels whose promise runs on the wall clock whoever answers (e.g. social's one hour).
    wall_clock_channels: tuple[Channel, ...] = ()


class FollowUpPolicy(_Strict):
    delay: dict[Channel, Duration]
    answer_window: Duration


class RemedyItem(_Strict):
    type: RemedyType
    basis: Basis = "none"
    factor: Decimal = Decimal(1)
    description: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _never_charges(self) -> RemedyItem:
        if not self.factor.is_finite() or self.factor < 0:
            raise ValueError(f"factor {self.factor} would charge the customer: a remedy is never negative")
        if self.type == "apology" and self.basis != "none":
            raise ValueError("an apology costs nothing: its basis must be 'none'")
        return self


class Recipe(_Strict):
    items: tuple[RemedyItem, ...] = Field(min_length=1)
    apology: str | None = None


class ReopenPolicy(_Strict):
    gesture_multiplier: Decimal = Field(default=Decimal(1), ge=1)
    extra: tuple[RemedyItem, ...] = ()


class RecoveryPolicy(_Strict):
    default_currency: Currency
    catalogue: tuple[RemedyType, ...] = Field(min_length=1)
    gesture: Amounts
    recipes: dict[RecipeKey, Recipe]
    reopen: ReopenPolicy = ReopenPolicy()
    apology: str = Field(min_length=1)
    #: Largest customer-declared amount at stake an automatic offer may be priced from, per currency;
    #: above it (or in a currency not listed) a person decides. None: no cap.
    declared_auto_max: dict[Currency, Amount] | None = None


class Policy(_Strict):
    """One version of the policy; every lookup the decisions need is a method here."""

    version: str = Field(min_length=1)
    effective_from: AwareDatetime | None = None  # in force from then on (docs/policy.md, roll-out)
    levels: dict[Level, LevelPolicy]
    triage: TriagePolicy
    sla: SlaPolicy
    follow_up: FollowUpPolicy
    recovery: RecoveryPolicy
    intake: IntakePolicy
    calendars: dict[str, Calendar] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        problems = check_policy(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    _source_digest: str | None = PrivateAttr(default=None)

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the policy's content: the canonical JSON of the keys as written (`parse_policy`), so
        neither the file's layout nor a default added to the code later changes the id of a kept file."""
        return self._source_digest or content_digest(self.model_dump(mode="json", exclude_defaults=True))

    @property
    def policy_id(self) -> str:
        """`<version>@<first 12 hex digits of digest>`: what every decision records in `policy_version`."""
        return f"{self.version}@{self.digest[:12]}"

    def auto_offer(self, level: Level) -> bool:
        configured = self.levels[level].auto_offer
        return configured if configured is not None else level not in ("department", "executive")

    def authority(self, level: Level, currency: str) -> Money | None:
        """The level's authority limit in that currency, or None when the policy gives none."""
        limit = self.levels[level].authority_limit.get(currency)
        return None if limit is None else Money(amount=limit, currency=currency)

    def covering_level(self, total: Money, at_least: Level) -> Level | None:
        """The lowest level, from `at_least` up, whose authority covers `total`."""
        for level in LEVELS[LEVELS.index(at_least) :]:
            limit = self.authority(level, total.currency)
            if limit is not None and total.amount <= limit.amount:
                return level
        return None

    def first_response_sla(self, channel: Channel, severity: Severity, public: bool) -> timedelta:
        table = self.sla.first_response[channel]
        sla = table.get(severity) or table["default"]
        if public and self.sla.public_max is not None:
            sla = min(sla, self.sla.public_max)
        return sla

    def calendar_for(self, channel: Channel, level: Level, department: Department | None) -> Calendar | None:
        """The business hours a case's SLA counts on (None: the wall clock): a channel kept on the wall
        clock; else the answering department's calendar, the level's, the channel's, in that order."""
        sla = self.sla
        if channel in sla.wall_clock_channels:
            return None
        name = (sla.calendar_by_department.get(department) if department is not None else None) \
            or sla.calendar_by_level.get(level) or sla.calendar_by_channel.get(channel)
        return None if name is None else self.calendars[name]

    def first_response_due(self, start: datetime, channel: Channel, severity: Severity, public: bool,
                           level: Level = "front_line", department: Department | None = None) -> datetime:
        """When a first response counted from `start` is due at `level` (and `department`): in business
        time on its calendar (`calendar_for`), else on the wall clock."""
        sla = self.first_response_sla(channel, severity, public)
        calendar = self.calendar_for(channel, level, department)
        return start + sla if calendar is None else calendar.add(start, sla)

    def follow_up_delay(self, channel: Channel) -> timedelta:
        return self.follow_up.delay[channel]

    def department_for(self, category: Category) -> Department:
        return self.triage.department_by_category[category]

    def recipe(self, category: Category) -> Recipe:
        return self.recovery.recipes.get(category) or self.recovery.recipes["default"]


def content_digest(data: object) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class PolicyError(ValueError):
    """The policy file cannot be used; `problems` lists each offending key with what is wrong."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"invalid policy {source}:\n" + "\n".join(f"  - {p}" for p in problems))


def parse_policy(data: object, source: str = "<policy>") -> Policy:
    """Validate already-parsed YAML/JSON data into a `Policy`, or raise `PolicyError`."""
    if not isinstance(data, dict):
        raise PolicyError(source, [f"the top level must be a mapping of keys (got {type(data).__name__})"])
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(source, [p for err in exc.errors() for p in _describe(err)]) from None
    policy._source_digest = content_digest(data)
    return policy


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read and validate the policy YAML at `path` (the services pass `COMPLAINTS_POLICY_FILE`)."""
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as exc:
        raise PolicyError(source, [f"cannot read the file: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        raise PolicyError(source, [f"not valid YAML: {exc}"]) from None
    return parse_policy(data, source)


@cache
def cached_policy(path: Path) -> Policy:
    """`load_policy`, read once per process and path (the read model folds with it on every event)."""
    return load_policy(path)


def _describe(err: Any) -> list[str]:
    path = ""
    for part in err["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]" and not str(part).startswith(("function-", "literal[")):
            path += f".{part}" if path else str(part)
    message: str = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        message = "is required"
    elif err["type"] in ("literal_error", "enum", "string_pattern_mismatch", "bool_type"):
        message += f" (got {err['input']!r})"
    elif err["type"] == "string_type":
        message += f" (got {err['input']!r}; quote it in YAML)"
    elif err["type"] == "extra_forbidden":
        message = "is not a policy key (check the spelling; see docs/policy.md)"
    if not path:
        return message.split("\n")
    return [f"{path}: {line}" for line in message.split("\n")]
