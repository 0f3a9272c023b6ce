"""Building a frozen pydantic model from values already validated, without validating them again. Pure.

The decision functions build many small models (money, remedies, a case's facts) from values that
are valid by construction: the policy's amounts (checked when it is loaded), an event's fields
(checked when it was decoded), sums rounded to the cent. `pydantic.BaseModel.model_construct` skips
validation but still costs as much as validating such a small model; `trusted` sets the same four
attributes it sets, directly. Every field must be given (no defaults are filled in): the callers
pass all of them, and tests/unit/domain/test_trusted.py holds each result equal to the validated model.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
_set = object.__setattr__


def trusted(cls: type[M], values: dict[str, Any]) -> M:
    """`cls` holding exactly `values` (every field of `cls`), valid by construction."""
    model = cls.__new__(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", set(values))
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model
