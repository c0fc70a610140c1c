"""Exclusions of the hybrid recommendations: what a user has bought is not offered again, unless its category
is one people buy again (groceries, diapers): `recommend.blend.repeat_purchase_categories`."""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from transforms import columns as C


def repeat_purchase(category: Column, repeat_categories: Sequence[str]) -> Column:
    """True where `category` is one of `repeat_categories` or a subcategory of one ("food" covers "food/x")."""
    matches = [(category == F.lit(c)) | category.startswith(f"{c}/") for c in repeat_categories]
    return F.coalesce(reduce(lambda a, b: a | b, matches, F.lit(False)), F.lit(False))


def without_bought(
    candidates: DataFrame, interactions: DataFrame, categories: DataFrame, *, repeat_categories: Sequence[str]
) -> DataFrame:
    """The candidates minus the items their user bought, except items of repeat-purchase categories.

    Args:
        candidates: USER_ID, ITEM_ID and any other columns.
        interactions: USER_ID, ITEM_ID, ORDERS (the matrix as of the date).
        categories: ITEM_ID, CATEGORY; a bought item without a category is excluded.

    Returns:
        The candidates' columns, the rows of items not excluded.
    """
    repeatable = categories.where(repeat_purchase(F.col(C.CATEGORY), repeat_categories)).select(C.ITEM_ID)
    bought = (
        interactions.where(F.col(C.ORDERS) > F.lit(0))
        .select(C.USER_ID, C.ITEM_ID)
        .join(repeatable, on=[C.ITEM_ID], how="left_anti")
    )
    return candidates.join(bought, on=[C.USER_ID, C.ITEM_ID], how="left_anti").select(*candidates.columns)
