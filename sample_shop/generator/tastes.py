"""Changing tastes (`generator.drift.taste_change_share`): some users' favourite category changes on a day
inside the period, and stays changed (on continued days too).

The change is drawn from the user's index like every other habit, so the sessions of any day know the
favourite in force without a join; `truth/taste_changes` records each change
(`truth_datasets.truth_taste_changes`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from sample_shop import columns as TC
from sample_shop.generator.catalog import CATEGORIES
from sample_shop.generator.personas import category_weights, persona_choice
from sample_shop.generator.random import uniform
from shop_platform.settings import GeneratorSettings
from transforms import columns as C


@dataclass(frozen=True)
class TasteChanges:
    """Which users change their favourite category, on which day of the period, and to which category."""

    seed: int
    start_date: dt.date
    days: int
    share: float

    @classmethod
    def of(cls, settings: GeneratorSettings, start_date: dt.date) -> TasteChanges | None:
        """The changes `settings.drift` plants; None when drift is off or no change fits in the period."""
        drift = settings.drift
        if not drift.enabled or drift.taste_change_share == 0 or settings.days < 2:
            return None
        return cls(settings.seed, start_date, settings.days, drift.taste_change_share)

    def change_day(self) -> Column:
        """Day index (1..days-1) from which the row's user has their later favourite; null for users who
        keep theirs: most, those registering on or after that day, and bots (no favourite).

        Expects USER_IDX, PERSONA, FAVOURITE_CATEGORY and REGISTRATION_DATE on the row.
        """
        changes = uniform(self.seed, "taste_change", C.USER_IDX) < F.lit(self.share)
        day = F.lit(1) + F.floor(uniform(self.seed, "taste_change_day", C.USER_IDX) * F.lit(self.days - 1))
        registered = F.datediff(F.col(C.REGISTRATION_DATE), F.lit(self.start_date))
        return F.when(
            changes & (registered < day) & F.col(TC.FAVOURITE_CATEGORY).isNotNull(), day.cast("int")
        )

    def later_favourite(self) -> Column:
        """The favourite category index after the change: drawn from the persona's category mix as the
        first one was, the next category when the draw repeats it. Expects PERSONA, FAVOURITE_CATEGORY."""
        drawn = persona_choice(
            uniform(self.seed, "later_favourite", C.USER_IDX), list(range(len(CATEGORIES))), category_weights
        ).cast("int")
        favourite = F.col(TC.FAVOURITE_CATEGORY)
        return F.when(drawn == favourite, F.pmod(favourite + F.lit(1), F.lit(len(CATEGORIES)))).otherwise(
            drawn
        )

    def with_changes(self, users: DataFrame) -> DataFrame:
        """Add TASTE_CHANGE_DAY and LATER_FAVOURITE (null for users who keep their favourite)."""
        return users.select("*", self.change_day().alias(TC.TASTE_CHANGE_DAY)).select(
            "*",
            F.when(F.col(TC.TASTE_CHANGE_DAY).isNotNull(), self.later_favourite()).alias(TC.LATER_FAVOURITE),
        )


def favourite_on_day() -> Column:
    """The favourite category in force on the row's DAY_IDX: LATER_FAVOURITE from TASTE_CHANGE_DAY on."""
    changed = F.col(TC.DAY_IDX) >= F.col(TC.TASTE_CHANGE_DAY)
    return F.when(changed, F.col(TC.LATER_FAVOURITE)).otherwise(F.col(TC.FAVOURITE_CATEGORY))
