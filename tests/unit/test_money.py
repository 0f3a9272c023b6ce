"""Money is bounded in the model itself: what a stranger sends cannot become a huge or odd amount."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from schemas.common import Money


@pytest.mark.parametrize("amount", ["0", "8.50", "8.5", "12", "999999999999.99"])
def test_plain_amounts_up_to_twelve_digits_and_two_decimals_are_money(amount: str) -> None:
    assert Money(amount=amount, currency="USD").model_dump(mode="json")["amount"] == amount  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["1e200000000", "1E3", "1000000000000", "1.005", "-1", "+1", " 1", "1 ", "1\n",
                                    "", ".5", "1.", "NaN", "Infinity", "1_000", "١٢", "0x10"])
def test_exponents_signs_long_or_odd_strings_are_refused_with_the_rule(amount: str) -> None:
    with pytest.raises(ValidationError, match="at most 12 digits and 2 decimals"):
        Money(amount=amount, currency="USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", [12, 8.5, True, None])
def test_numbers_on_the_wire_are_refused_the_contract_says_string(amount: object) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate({"amount": amount, "currency": "USD"})


def test_huge_exponent_is_refused_before_any_decimal_arithmetic() -> None:
    started = time.perf_counter()
    for _ in range(100):
        with pytest.raises(ValidationError):
            Money.model_validate_json('{"amount": "1e200000000", "currency": "USD"}')
    assert (time.perf_counter() - started) / 100 < 0.001


@pytest.mark.parametrize("amount", [Decimal("1E+12"), Decimal("NaN"), Decimal("-0.01"), Decimal("0.001"),
                                    Decimal("1E+200000000")])
def test_decimals_built_in_code_obey_the_same_bounds(amount: Decimal) -> None:
    with pytest.raises(ValidationError):
        Money(amount=amount, currency="USD")


def test_a_decimal_with_trailing_zeros_goes_on_the_wire_as_cents() -> None:
    assert Money(amount=Decimal("1.000"), currency="USD").model_dump(mode="json")["amount"] == "1.00"
    assert Money(amount=Decimal("1E+3"), currency="USD").model_dump(mode="json")["amount"] == "1000"


@pytest.mark.parametrize("amount", ["0", "8.50", "999999999999.99", "1e200000000", "1.005", "1000000000000"])
def test_json_schema_says_what_the_model_accepts(amount: str) -> None:
    validator = Draft202012Validator(Money.model_json_schema())
    try:
        Money(amount=amount, currency="USD")  # type: ignore[arg-type]
        accepted = True
    except ValidationError:
        accepted = False
    assert validator.is_valid({"amount": amount, "currency": "USD"}) == accepted
