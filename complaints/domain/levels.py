"""The levels of the organisation, bottom to top (`schemas.common.LEVELS`): their rank and the next one up."""

from __future__ import annotations

from schemas.common import LEVELS, Level

#: Each level's place from the bottom (front line 0); the folds look it up on every event.
RANKS: dict[str, int] = {level: index for index, level in enumerate(LEVELS)}


def rank(level: Level) -> int:
    return RANKS[level]


def level_above(level: Level) -> Level | None:
    """The next level up, or None at the top."""
    index = rank(level) + 1
    return LEVELS[index] if index < len(LEVELS) else None
