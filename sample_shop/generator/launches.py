"""The drifting catalogue (`generator.drift`): items launch at a steady pace and each launch draws extra
traffic that fades, so what sells moves through the period and new items arrive in it.

Every category's items stand in a launch order, its positions 0..size-1: the category's `old` items first
(launched before the period, oldest first), then its `new` ones, launched during it. New items are the
local indexes `stride - 1` modulo `stride` (one in every `stride` by popularity rank, as the static shop's
new arrivals), so the item before a new one is always old. Each part of the order is an affine permutation
of its items' popularity ranks, so launch day and appeal are unrelated. Launches are `days / new` days
apart (`days` when the category has no new item), before the period as in it: position p launches on
day floor(((p - old) * days + phase) / max(new, 1)), negative before the period.

A product pick of the crowd goes to a launch with `traffic_share` (fading after the period's last day,
when launches stop), and a novelty seeker's always does: it draws an age since launch, the sum of a rise
(exponential, mean `rise_days`) and a fade (exponential, halving every `half_life_days`), and counts back
that many days' launches from the latest, so a launch's pull builds up, peaks and fades. Every other
pick is by popularity rank as in the static shop, and an item picked before its launch day gives way to
the item before it. All of it is arithmetic on the row's category, local index and day: no join, no
table of items.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from pyspark.sql import Column
from pyspark.sql import functions as F

from sample_shop.generator.catalog import category_layout
from sample_shop.generator.literals import nth
from sample_shop.generator.random import ColumnOrValue, uniform
from shop_platform.settings import GeneratorSettings

# Affine steps near size / golden ratio scatter neighbouring ranks far apart in launch order.
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True)
class Conveyor:
    """One category's launch order: `old` + `new` positions, each part an affine permutation
    position = (step * rank + shift) mod count of its ranks (`inverse` undoes the step)."""

    old: int
    new: int
    old_step: int
    old_inverse: int
    old_shift: int
    new_step: int
    new_inverse: int
    new_shift: int
    # Offsets the category's launch days (0 <= phase < days), so categories do not launch in step.
    phase: int


def _affine(count: int, rng: random.Random) -> tuple[int, int, int]:
    """(step, inverse, shift) of an affine permutation of range(count); the identity for count <= 1."""
    if count <= 1:
        return 1, 1, 0
    step = max(1, round(_GOLDEN * count))
    while math.gcd(step, count) != 1:
        step += 1
    return step, pow(step, -1, count), rng.randrange(count)


def conveyors(seed: int, n_items: int, stride: int, days: int) -> tuple[Conveyor, ...]:
    """Every category's launch order, in CATEGORIES order."""
    result = []
    for index, size in enumerate(category_layout(n_items).sizes):
        rng = random.Random(f"launches:{seed}:{index}")
        new = size // stride
        old = size - new
        result.append(Conveyor(old, new, *_affine(old, rng), *_affine(new, rng), phase=rng.randrange(days)))
    return tuple(result)


@dataclass(frozen=True)
class Launches:
    """When each item launches and how launches pull traffic (see the module docstring)."""

    seed: int
    n_items: int
    start_date: dt.date
    days: int
    stride: int
    half_life_days: float
    rise_days: float
    traffic_share: float

    @classmethod
    def of(cls, settings: GeneratorSettings, start_date: dt.date) -> Launches | None:
        """The drifting catalogue of `settings.drift`; None when drift is off (the static catalogue)."""
        drift = settings.drift
        if not drift.enabled:
            return None
        return cls(
            seed=settings.seed,
            n_items=settings.items,
            start_date=start_date,
            days=settings.days,
            stride=max(2, round(1.0 / drift.new_item_share)),
            half_life_days=drift.popularity_half_life_days,
            rise_days=drift.popularity_rise_days,
            traffic_share=drift.launch_traffic_share,
        )

    @cached_property
    def conveyors(self) -> tuple[Conveyor, ...]:
        return conveyors(self.seed, self.n_items, self.stride, self.days)

    def _of(self, field: str, category: Column) -> Column:
        # bigint: products of steps and ranks pass 2**31 at a cluster's catalogue sizes.
        return nth([getattr(c, field) for c in self.conveyors], category).cast("long")

    def day_of(self, date: Column) -> Column:
        """Day index of `date` (0 = the period's first day)."""
        return F.datediff(date, F.lit(self.start_date))

    def is_new(self, local: Column) -> Column:
        """Whether the item at this local index launches during the period."""
        return F.pmod(local, F.lit(self.stride)) == F.lit(self.stride - 1)

    def _new_launch_day(self, local: Column, category: Column) -> Column:
        """Launch day of a new item (the day formula at position old + its place among the new)."""
        new = F.greatest(self._of("new", category), F.lit(1))
        place = F.pmod(
            self._of("new_step", category) * F.floor(local / F.lit(self.stride))
            + self._of("new_shift", category),
            new,
        )
        return F.floor((place * F.lit(self.days) + self._of("phase", category)) / new)

    def launch_day(self, local: Column, category: Column) -> Column:
        """Day index on which the item at `local` of `category` launched (negative before the period)."""
        old = self._of("old", category)
        rank = local - F.floor((local + F.lit(1)) / F.lit(self.stride))
        position = F.pmod(self._of("old_step", category) * rank + self._of("old_shift", category), old)
        spacing = F.greatest(self._of("new", category), F.lit(1))
        old_day = F.floor(((position - old) * F.lit(self.days) + self._of("phase", category)) / spacing)
        return F.when(self.is_new(local), self._new_launch_day(local, category)).otherwise(old_day)

    def on_sale(self, item_idx: Column, local: Column, category: Column, day: Column) -> Column:
        """`item_idx`, or the item before it (always old, so on sale) when it launches after `day`."""
        not_yet = self.is_new(local) & (self._new_launch_day(local, category) > day)
        return item_idx - not_yet.cast("long")

    def pull_share(self, day: Column) -> Column:
        """Share of the crowd's picks that go to launches on `day`: `traffic_share`, halving every
        `half_life_days` after the period's last day (no item launches after it)."""
        after = F.greatest(day - F.lit(self.days - 1), F.lit(0))
        return F.lit(self.traffic_share) * F.pow(F.lit(0.5), after / F.lit(self.half_life_days))

    def launches_back(self, keys: Sequence[ColumnOrValue], category: Column) -> Column:
        """How many launches before the latest one a launch pick keyed by `keys` goes to: the pick's age
        since launch, in days, over the spacing of `category`'s launches. The age is a fading part
        (exponential, halving every `half_life_days`) plus a rising one (exponential with mean
        `rise_days`), so a launch's pull builds up for a few days, peaks and fades."""
        fade = F.log(uniform(self.seed, "pick#back", *keys)) * F.lit(-self.half_life_days / math.log(2.0))
        rise = F.log(uniform(self.seed, "pick#rise", *keys)) * F.lit(-self.rise_days)
        age = fade if self.rise_days == 0 else fade + rise
        spacing = nth([self.days / max(c.new, 1) for c in self.conveyors], category)
        return F.floor(age / spacing).cast("long")

    def launched_local(self, back: Column, category: Column, day: Column) -> Column:
        """Local index of the item launched `back` launches before the latest one on or before `day`
        (the category's oldest when it has fewer)."""
        old, new = self._of("old", category), self._of("new", category)
        # New positions q launch by `day` when (q * days + phase) / new < day + 1.
        launched_new = F.least(
            F.greatest(
                F.ceil(((day + F.lit(1)) * new - self._of("phase", category)) / F.lit(self.days)), F.lit(0)
            ),
            new,
        )
        position = F.greatest(old + launched_new - F.lit(1) - back, F.lit(0))
        place = position - old
        new_rank = F.pmod(
            self._of("new_inverse", category) * (place - self._of("new_shift", category)),
            F.greatest(new, F.lit(1)),
        )
        old_rank = F.pmod(
            self._of("old_inverse", category) * (position - self._of("old_shift", category)), old
        )
        return F.when(place >= 0, F.lit(self.stride) * new_rank + F.lit(self.stride - 1)).otherwise(
            old_rank + F.floor(old_rank / F.lit(self.stride - 1))
        )
